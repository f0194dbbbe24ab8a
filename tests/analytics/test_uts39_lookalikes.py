"""Look-alike names folded with Unicode's confusables (UTS #39), not a hand table (review T10, finding 7).

The hand table missed the classic capital ``I`` for ``l`` (``Isass.exe``: the name was lowered
before it was folded, turning the ``I`` into an ``i``), the Armenian ``օ`` (U+0585), the Latin
alpha ``ɑ``, the small capitals ``ꜱ`` and ``ʜ``, the dental click ``ǀ`` and the Lisu ``ꓢ``.
Now each character is folded by Unicode's data before the name is lowered, a capital drawn as
an ``I`` reading both as the ``i`` of a name in capitals and as an ``l``.  An ASCII name that is
no binary's with a letter swapped for its look-alike, and the localized tools, stay quiet.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from analytics.image_lookalikes import IMITATED, imitated_binary
from analytics.lookalike import LookalikeIndex, skeleton
from analytics.renamed_binaries import lookalike_image_check
from graphsiem.model import Entity

REPO = Path(__file__).resolve().parents[2]


def _process(image: str) -> Entity:
    line = f'"{image}"'
    return Entity("process", line.lower(), line, {"image": image, "command_line": line})


@pytest.mark.parametrize(("name", "imitates", "character"), [
    ("Isass.exe", "lsass.exe", "'I' U+0049 LATIN CAPITAL LETTER I for 'l'"),
    ("expIorer.exe", "explorer.exe", "'I' U+0049 LATIN CAPITAL LETTER I for 'l'"),
    ("svch\u0585st.exe", "svchost.exe", "'\u0585' U+0585 ARMENIAN SMALL LETTER OH for 'o'"),
    ("winl\u0585gon.exe", "winlogon.exe", "'\u0585' U+0585 ARMENIAN SMALL LETTER OH for 'o'"),
    ("\u0251udiodg.exe", "audiodg.exe", "'\u0251' U+0251 LATIN SMALL LETTER ALPHA for 'a'"),
    ("\ua731vchost.exe", "svchost.exe", "'\ua731' U+A731 LATIN LETTER SMALL CAPITAL S for 's'"),
    ("svc\u029cost.exe", "svchost.exe", "'\u029c' U+029C LATIN LETTER SMALL CAPITAL H for 'h'"),
    ("\u01c0sass.exe", "lsass.exe", "'\u01c0' U+01C0 LATIN LETTER DENTAL CLICK for 'l'"),
    ("LSA\ua4e2S.EXE", "lsass.exe", "'\ua4e2' U+A4E2 LISU LETTER SA for 's'"),
    ("co\u0578host.exe", "conhost.exe", "'\u0578' U+0578 ARMENIAN SMALL LETTER VO for 'n'"),
])
def test_names_the_hand_table_missed_imitate_their_binary_and_the_step_names_the_character(name, imitates, character):
    found = imitated_binary(name)
    assert found is not None and found.imitates == imitates
    step = lookalike_image_check([_process(f"C:\\Users\\Public\\{name}")], "ws-1")
    assert step is not None
    assert step.check.startswith(f"{name} imitates {imitates} with look-alike characters ({character}; spelled ")


def test_a_capital_i_reads_as_an_l_beside_small_letters_and_as_an_i_in_a_name_in_capitals():
    assert imitated_binary("Isass.exe").imitates == "lsass.exe"
    assert imitated_binary("IexpIore.exe").imitates == "iexplore.exe"  # the first I is the i, the second an l
    assert imitated_binary("IexpIore.exe").characters() == "'I' U+0049 LATIN CAPITAL LETTER I for 'l'"
    # all capitals with a Greek capital omicron: its I is winlogon's i, only the omicron is listed
    lookalike = imitated_binary("WINL\u039fGON.EXE")
    assert lookalike is not None and lookalike.imitates == "winlogon.exe"
    assert lookalike.characters() == "'\u039f' U+039F GREEK CAPITAL LETTER OMICRON for 'o'"
    # real names in any case, and ASCII names that are no binary's with an I for an l
    for name in ("WINLOGON.EXE", "IEXPLORE.EXE", "Iexplore.exe", "SearchIndexer.exe", "MsMpEng.exe", "IE.exe",
                 "Install.exe", "IntelAudioService.exe", "IISExpress.exe", "ImageGlass.exe", "Ilsass.exe"):
        # the look-alike reading alone: Ilsass.exe is lsass.exe with an extra letter, a misspelling
        # (tests/analytics/test_image_typosquats.py)
        assert imitated_binary(name, misspellings=False) is None, name
    # the capital I of a name in capitals is that binary's own: no binary's name imitates another
    for name in IMITATED:
        for written in (name, name.upper(), name.capitalize()):
            assert imitated_binary(written) is None, written


def test_localized_names_imitate_nothing_under_the_wider_data_but_their_look_alikes_do():
    assert imitated_binary("\u0455vch\u0585st.exe").imitates == "svchost.exe"  # Cyrillic dze, Armenian oh
    for name in ("\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe", "\u00c9diteur.exe",
                 "\u0421\u043b\u0443\u0436\u0431\u0430.exe", "\u0531\u0580\u056d\u056b\u057e.exe",  # Russian, Armenian
                 "\u0395\u03c1\u03b3\u03b1\u03bb\u03b5\u03af\u03bf.exe", "\u8a2d\u5b9a.exe", "\u00dcberweisung.exe"):
        assert imitated_binary(name) is None, name


def test_a_domain_with_an_armenian_oh_or_a_latin_alpha_reads_as_the_trusted_one():
    assert skeleton("g\u0585\u0585gle.com") == skeleton("google.com")
    index = LookalikeIndex({"driverhub-updates.com": ("api.driverhub-updates.com", 200)})
    alpha = "api.driverhub-upd\u0251tes.com".encode("idna").decode("ascii")  # xn--: a Latin alpha for the a
    found = index.match(alpha)
    assert found is not None and found.kind == "homoglyph" and found.trusted == "api.driverhub-updates.com"
    assert skeleton("Example.com") == skeleton("example.com")  # a domain's capital I is an i: DNS ignores case


def _generator():
    spec = importlib.util.spec_from_file_location("generate_uts39_confusables",
                                                  REPO / "scripts" / "generate_uts39_confusables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_table_is_generated_from_unicodes_file_keeping_latin_prototypes(tmp_path):
    generator = _generator()
    source = tmp_path / "confusables.txt"
    source.write_text(
        "\ufeff# confusables.txt\n# Version: 13.0.0\n"
        "0585 ;\t006F ;\tMA\t# ( \u0585 \u2192 o ) ARMENIAN SMALL LETTER OH\n"
        "0049 ;\t006C ;\tMA\t# ( I \u2192 l )\n"
        "043D ;\t029C ;\tMA\t# ( \u043d \u2192 \u029c ) CYRILLIC SMALL LETTER EN \u2192 SMALL CAPITAL H\n"
        "043F ;\t03C0 ;\tMA\t# ( \u043f \u2192 \u03c0 ) a Greek prototype: not Latin, left out\n", encoding="utf-8")
    version, table = generator.read_confusables(source)
    kept = generator.latin_prototypes(table)
    assert version == "13.0.0"
    assert (kept["\u0585"], kept["I"], kept["\u043d"], kept["\u029c"]) == ("o", "l", "h", "h")
    assert "\u043f" not in kept
    out = tmp_path / "table.py"
    assert generator.main([str(source), "--out", str(out)]) == 0
    namespace: dict[str, object] = {}
    exec(compile(out.read_text(encoding="ascii"), str(out), "exec"), namespace)  # ASCII only: escapes
    assert namespace["PROTOTYPES"] == kept and namespace["VERSION"] == "13.0.0"
    broken = tmp_path / "broken.txt"
    broken.write_text("# Version: 13.0.0\n0585 ; zz ; MA\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.txt:2: not 'source ; prototype ; type'"):
        generator.read_confusables(broken)


def test_the_shipped_table_is_unicodes_18_0_data():
    from analytics.uts39_confusables import PROTOTYPES, VERSION

    assert VERSION == "18.0.0"
    assert (PROTOTYPES["\u0585"], PROTOTYPES["I"], PROTOTYPES["\ua4e2"], PROTOTYPES["\u029c"]) == ("o", "l", "S", "h")
    assert len(PROTOTYPES) > 2600


@pytest.mark.parametrize(("name", "imitates", "character"), [
    # UTS #39 14.0.0 added the Cyrillic sha as a look-alike of w: 13.0.0's table let it pass
    ("po\u0448ershell.exe", "powershell.exe", "'\u0448' U+0448 CYRILLIC SMALL LETTER SHA for 'w'"),
    # and the Coptic small hate as an h (14.0.0)
    ("svc\u2c8fost.exe", "svchost.exe", "'\u2c8f' U+2C8F COPTIC SMALL LETTER HATE for 'h'"),
])
def test_look_alikes_unicode_added_after_13_0_imitate_their_binary(name, imitates, character):
    found = imitated_binary(name)
    assert found is not None and found.imitates == imitates
    assert found.characters() == character


def test_a_prototype_with_a_combining_mark_reads_as_its_bare_letter(tmp_path):
    # 18.0.0 maps the Cherokee U to O with a horn (U+004F U+031B), 13.0.0 to O and an apostrophe
    source = tmp_path / "confusables.txt"
    source.write_text("# Version: 18.0.0\n13A4 ;\t004F 031B ;\tMA\t# ( \u13a4 \u2192 O\u031b )\n"
                      "0358 ;\t0307 ;\tMA\t# a mark alone: nothing Latin is left, left out\n", encoding="utf-8")
    _, table = _generator().read_confusables(source)
    kept = _generator().latin_prototypes(table)
    assert kept["\u13a4"] == "O" and "\u0358" not in kept
