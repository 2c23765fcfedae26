"""Every XML and JSON example printed in the seed documents, copied verbatim into tests/data/seeds/,
parses to the model objects it describes.

Seed 000 and 001 are two renderings of Twilio's 2008-08-01 Conference docs (the second writes the start
and end flags as 1/0), 003 is Twilio's 2010-04-01 Participant page in XML (its list example prints
`numpages=true`, a bare `&` in attributes and a `...` line), 004 RestComm's Conference API.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from confmon.api import dialects
from confmon.api.dialects import Page
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus
from tests import reference

DATA = reference.SEED_EXAMPLES
SEEDS = reference.SHARED_SEEDS
SOURCES = {
    "2008_md_": "001_e1f019df936eb8d2.txt",
    "2008_": "000_7cb372423fba87ab.txt",
    "2010_": "003_dab11a3361bd87ba.txt",
    "restcomm_": "004_62b9884ddb9ffbb0.txt",
}

TWILIO2008 = dialects.get("twilio2008")
TWILIO2010_XML = dialects.get("twilio2010-xml")
RESTCOMM = dialects.get("restcomm")

PDT = timezone(timedelta(hours=-7))
PST = timezone(timedelta(hours=-8))
EEST = timezone(timedelta(hours=3))

ROOM_2008 = Conference(
    sid="CFd0a50bbe038c437e87f6c82db8f37f21",
    account_sid="AC5ea872f6da5a21de157d80997a64bd33",
    friendly_name="1234",
    status=ConferenceStatus.COMPLETED,
    date_created=datetime(2009, 9, 3, 23, 37, 53, tzinfo=PDT),
    date_updated=datetime(2009, 9, 4, 0, 35, 2, tzinfo=PDT),
)
EPOCH_ISH = datetime(1969, 12, 31, 16, 33, 29, tzinfo=PST)
CALLER_2008 = Participant(
    call_sid="CA9ae8e040497c0598481c2031a154919e",
    conference_sid="CF9f2ead1ae43cdabeab102fa30d938378",
    status=ParticipantStatus.CONNECTED,  # 2008 has no participant status: listed means connected
    muted=False,
    start_conference_on_enter=True,
    end_conference_on_exit=False,
    date_created=EPOCH_ISH,
    date_updated=EPOCH_ISH,
)
OTHER_2008 = Participant(
    call_sid="CA3c3c002e06c4cdaa5367e814ade05c76",
    conference_sid="CF9f2ead1ae43cdabeab102fa30d938378",
    status=ParticipantStatus.CONNECTED,
    date_created=EPOCH_ISH,
    date_updated=EPOCH_ISH,
)
CALLER_2010 = Participant(
    call_sid="CA386025c9bf5d6052a1d1ea42b4d16662",
    conference_sid="CFbbe46ff1274e283f7e3ac1df0072ab39",
    status=ParticipantStatus.CONNECTED,  # the XML example has no Status element
    muted=False,
    end_conference_on_exit=True,
    start_conference_on_enter=True,
    date_created=datetime(2010, 8, 18, 20, 20, 10, tzinfo=UTC),
    date_updated=datetime(2010, 8, 18, 20, 20, 10, tzinfo=UTC),
)
ROOM_RESTCOMM = Conference(
    sid="CF1e4a2e67ada54298a83b93818c0ea1e4",
    account_sid="ACae6e420f425248d6a26948c17a9e2acf",
    friendly_name="1111",
    status=ConferenceStatus.COMPLETED,
    date_created=datetime(2016, 5, 31, 16, 15, 51, tzinfo=EEST),
    date_updated=datetime(2016, 5, 31, 16, 19, 35, tzinfo=EEST),
)

EXAMPLES = [
    # (file, parse, expected)
    ("2008_conference.xml", TWILIO2008.parse_conference, ROOM_2008),
    ("2008_conference_list.xml", TWILIO2008.parse_conference_page, Page((ROOM_2008,), None, 0, 1)),
    ("2008_participant.xml", TWILIO2008.parse_participant, CALLER_2008),
    ("2008_participant_list.xml", TWILIO2008.parse_participant_page, Page((CALLER_2008, OTHER_2008), None, 0, 1)),
    ("2008_participant_muted.xml", TWILIO2008.parse_participant, replace(CALLER_2008, muted=True)),
    ("2008_participant_unmuted.xml", TWILIO2008.parse_participant, CALLER_2008),
    ("2008_md_conference.xml", TWILIO2008.parse_conference, ROOM_2008),
    ("2008_md_conference_list.xml", TWILIO2008.parse_conference_page, Page((ROOM_2008,), None, 0, 1)),
    ("2008_md_participant.xml", TWILIO2008.parse_participant, CALLER_2008),
    ("2008_md_participant_list.xml", TWILIO2008.parse_participant_page, Page((CALLER_2008, OTHER_2008), None, 0, 1)),
    ("2008_md_participant_muted.xml", TWILIO2008.parse_participant, replace(CALLER_2008, muted=True)),
    ("2008_md_participant_unmuted.xml", TWILIO2008.parse_participant, CALLER_2008),
    ("2010_participant.xml", TWILIO2010_XML.parse_participant, CALLER_2010),
    (
        "2010_participant_muted.xml",
        TWILIO2010_XML.parse_participant,
        replace(CALLER_2010, muted=True, date_updated=datetime(2010, 8, 18, 20, 23, 23, tzinfo=UTC)),
    ),
    # numpages=true is no number: unknown. nextpageuri="" is the last page.
    ("2010_participant_list.xml", TWILIO2010_XML.parse_participant_page, Page((CALLER_2010,), None, 0, None)),
    # num_pages 0 (RestComm's "index of the last page"), next_page_uri "null".
    ("restcomm_conference_list_pagesize.json", RESTCOMM.parse_conference_page, Page((ROOM_RESTCOMM,), None, 0, 0)),
    ("restcomm_conference_list_limit.json", RESTCOMM.parse_conference_page, Page((ROOM_RESTCOMM,), None, 0, 0)),
]


def test_every_example_file_is_tested() -> None:
    assert sorted(name for name, _, _ in EXAMPLES) == sorted(path.name for path in DATA.iterdir())


@pytest.mark.parametrize(("name", "parse", "expected"), EXAMPLES, ids=[name for name, _, _ in EXAMPLES])
def test_seed_example_parses(name: str, parse, expected) -> None:
    assert parse((DATA / name).read_bytes()) == expected


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
@pytest.mark.parametrize("name", [name for name, _, _ in EXAMPLES])
def test_each_example_is_a_verbatim_copy(name: str) -> None:
    source = next(SEEDS / seed for prefix, seed in SOURCES.items() if name.startswith(prefix))
    assert (DATA / name).read_text() in source.read_text()


def test_the_2008_examples_parse_the_same_in_both_renderings() -> None:
    # Seed 000 writes the start/end flags true/false, seed 001 writes 1/0: the same participants.
    for plain in DATA.glob("2008_participant*.xml"):
        markdown = DATA / plain.name.replace("2008_", "2008_md_")
        parse = TWILIO2008.parse_participant_page if "list" in plain.name else TWILIO2008.parse_participant
        assert parse(plain.read_bytes()) == parse(markdown.read_bytes())
