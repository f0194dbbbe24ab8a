"""The adfs_key_read rule (analytics.adfs_key_reads) on 4662 events of our own making: a contact's
thumbnailPhoto read by a person's account fires and names it; the AD FS managed service account, other
attributes, other object classes and write-only access do not."""

from __future__ import annotations

from analytics.adfs_key_reads import CONTACT_CLASS, THUMBNAIL_PHOTO, key_read_hit

PERSONAL_INFORMATION = "77b5b886-944a-11d1-aebd-0000f80367c1"


def read(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "event.code": "4662", "user.name": "corp\\eve", "winlog.object.server": "DS",
        "winlog.object.type": f"%{{{CONTACT_CLASS}}}", "winlog.object.name": "%{9736f74f-fd37-4b02-80e8-8120a72ad6c2}",
        "winlog.object.type_name": "contact", "winlog.object.access_mask": "0x10",
        "winlog.object.properties": [PERSONAL_INFORMATION, THUMBNAIL_PHOTO, CONTACT_CLASS],
    }
    fields.update(changes)
    return fields


def test_a_persons_read_of_the_dkm_key_fires_naming_account_and_object():
    hit = key_read_hit("dc01", "e-4662", 9.0, read())
    assert hit is not None and (hit.rule, hit.host, hit.event_id) == ("adfs_key_read", "dc01", "e-4662")
    assert "corp\\eve" in hit.detail and "9736f74f" in hit.detail
    assert hit.subject == "corp\\eve|%{9736f74f-fd37-4b02-80e8-8120a72ad6c2}"


def test_the_object_class_is_enough_without_its_display_name():
    assert key_read_hit("dc01", "e", 9.0, read(**{"winlog.object.type_name": None})) is not None


def test_near_misses_are_no_hit():
    assert key_read_hit("dc01", "e", 9.0, read(**{"user.name": "corp\\gmsa_adfs$"})) is None  # the AD FS gMSA
    assert key_read_hit("dc01", "e", 9.0, read(**{"winlog.object.properties": [PERSONAL_INFORMATION]})) is None
    assert key_read_hit("dc01", "e", 9.0, read(**{"winlog.object.type_name": "user", "winlog.object.type": "%{bf967aba}",
                                                  "winlog.object.properties": [THUMBNAIL_PHOTO]})) is None
    assert key_read_hit("dc01", "e", 9.0, read(**{"winlog.object.access_mask": "0x20"})) is None  # write property
    assert key_read_hit("dc01", "e", 9.0, read(**{"user.name": ""})) is None
