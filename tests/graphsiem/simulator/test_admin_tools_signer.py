"""The simulated IT admins' Process Explorer is Microsoft's signed build (T15L): its own image load
(Sysmon 7) says so, as the real one's does, so the LSASS allow list (signed by Microsoft, or from
Program Files) lets its reads pass, and the admin_tools decoy stays the benign row it models."""

from __future__ import annotations

from tests.graphsiem.simulator.conftest import event_data, event_id

PROCEXP = "c:\\tools\\sysinternals\\procexp64.exe"


def test_every_procexp_reading_lsass_loaded_its_own_image_signed_by_microsoft(endpoint_records):
    signed: set[str] = set()
    readers: set[str] = set()
    for collector, record in endpoint_records:
        data = event_data(collector, record)
        code = event_id(collector, record)
        if code == 7 and data["Image"].lower() == PROCEXP and data["ImageLoaded"].lower() == PROCEXP:
            if (data["Signed"], data["Signature"], data["SignatureStatus"]) == ("true", "Microsoft Corporation", "Valid"):
                signed.add(data["ProcessGuid"])
        if code == 10 and data["SourceImage"].lower() == PROCEXP and data["TargetImage"].lower().endswith("\\lsass.exe"):
            readers.add(data["SourceProcessGUID"])
    assert readers, "the small run has IT admins running Process Explorer"
    assert readers <= signed, sorted(readers - signed)
