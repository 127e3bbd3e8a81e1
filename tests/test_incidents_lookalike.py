"""Look-alike incidents: the one report of another, similar event must not join the main one.

In a small collection (four reports of one incident, one of a look-alike) the look-alike's report
shares the topic's words and often names the main incident in its last paragraph, while the main
reports name older events in their background. What tells it apart is its lede: another place,
other participants. All reports below are invented (places, people, outlets).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from claims.comparison.incidents import DocumentGrouper, Profile
from claims.extraction.extract import Extractor

DAY = datetime(2031, 4, 8, 9, 0)  # a Tuesday

BAR_SHOOTING = [
    "ORVANTE - A gunman opened fire in the Blue Heron bar in Orvante's Kettle Lane district "
    "late on Monday, killing three people and wounding five, city police said. "
    "Police said the attacker fled on foot and officers were searching the Kettle Lane area. "
    "Police chief Amara Dulenko said the motive was not yet known. "
    "Witnesses described a man in a grey hooded jacket firing at customers near the door. "
    "The city council called an emergency meeting for Wednesday.",
    "Three people were killed and five wounded when a man fired a handgun inside the Blue Heron "
    "bar in Kettle Lane, Orvante, on Monday night, police said. "
    "The bar's owner, Tomas Virell, said the gunman walked in shortly before midnight. "
    "He said the attacker did not say a word before he started shooting. "
    "Police chief Amara Dulenko appealed for witnesses and footage from phones. "
    "Orvante has seen a rise in gun crime over the past two years.",
    "Police in Orvante arrested a 27-year-old man on Tuesday in connection with the shooting at "
    "the Blue Heron bar in Kettle Lane that killed three people. "
    "Police chief Amara Dulenko said the suspect was detained at a relative's flat. "
    "She said a handgun had been recovered and would be examined. "
    "The five people wounded in the attack remain in hospital, two of them in a serious "
    "condition. The suspect is expected to appear before a judge on Thursday.",
    "Residents of Kettle Lane laid flowers outside the Blue Heron bar on Tuesday, a day after a "
    "gunman killed three people there. "
    "Neighbours said the bar had been a meeting place for the district for decades. "
    "Tomas Virell, the owner, said he would not reopen for at least a month. "
    "Orvante's mayor, Ilse Barrow, visited the site and promised more street lighting. "
    "Police chief Amara Dulenko said the investigation was continuing.",
]
PETROL_STATION_SHOOTING = (
    "A lorry driver, Henrik Sarno, was shot dead at a Polestar petrol station on the Saltmarsh "
    "Road in Brightwater, a northern suburb of Orvante, on Monday, police said. "
    "The 41-year-old was hit by two shots fired from a passing car. "
    "Police spokesman Jurek Pallas said the shooting appeared to be targeted. "
    "The petrol station's cashier called an ambulance, but the man died at the scene. "
    "Police said they were examining security camera footage from the Saltmarsh Road. "
    "The shooting came a week after a gunman killed three people in a bar in Orvante."
)


def _profiles(
    extractor: Extractor, texts: list[str], dates: list[datetime | None]
) -> list[Profile]:
    docs = extractor.nlp.pipe(texts)
    return [Profile.from_doc(doc, when) for doc, when in zip(docs, dates, strict=True)]


def test_two_shootings_in_one_city_a_week_apart_stay_apart(extractor: Extractor) -> None:
    dates = [DAY, DAY, DAY + timedelta(hours=8), DAY + timedelta(hours=10)]
    texts = [*BAR_SHOOTING, PETROL_STATION_SHOOTING]
    labels = DocumentGrouper().run(_profiles(extractor, texts, [*dates, DAY + timedelta(days=7)]))
    assert len(set(labels[:4])) == 1
    assert labels[4] != labels[0]


FERRY_CAPSIZE = [
    "TALMERE - A river ferry capsized on the Osra river near Talmere on Sunday, and 14 of its "
    "passengers are missing, the regional rescue service said. "
    "The ferry Gull Star was carrying about 60 people from the market at Pennick when it "
    "overturned in strong currents. Divers recovered two bodies on Sunday evening. "
    "Rescue service head Boris Antal said the search would continue through the night.",
    "Divers searching the Osra river near Talmere found three more bodies on Monday, a day after "
    "the ferry Gull Star overturned with about 60 people on board. "
    "Boris Antal of the regional rescue service said nine people were still missing. "
    "Survivors said the ferry had been overloaded with goods from the Pennick market. "
    "The ferry's owner could not be reached for comment.",
    "Relatives waited on the Talmere landing stage on Monday for news of passengers of the "
    "Gull Star, the ferry that sank on the Osra river on Sunday. "
    "A woman whose brother is missing said the boat had listed badly as it left Pennick. "
    "The regional governor, Petra Lind, promised an inquiry into the ferry's licence. "
    "Boris Antal said divers would widen the search downstream.",
    "The captain of the Gull Star, the ferry that capsized on the Osra river near Talmere on "
    "Sunday, was detained on Monday, the regional prosecutor's office said. "
    "Prosecutors said he was suspected of breaching safety rules by carrying too many "
    "passengers from Pennick. Nine people are still missing, the rescue service said. "
    "It was the region's deadliest river accident since 2019, when the barge Iron Maid sank on "
    "the Lesk near Dorvik and eleven crew drowned.",
]
BARGE_SINKING = (
    "DORVIK - The barge Iron Maid sank on the Lesk river near Dorvik on Wednesday and eleven of "
    "its crew drowned, the river authority said. "
    "The barge was carrying gravel downstream from the quarries at Hallen when it struck a "
    "bridge pier in fog. Two crew members swam ashore. "
    "River authority director Anton Brehm said the wreck was blocking half of the channel."
)


def test_background_mention_of_an_older_event_keeps_its_report(extractor: Extractor) -> None:
    """The fourth ferry report ends on the older barge sinking; it stays with the ferry, and the
    barge's own report stays apart."""
    texts = [*FERRY_CAPSIZE, BARGE_SINKING]
    labels = DocumentGrouper().run(_profiles(extractor, texts, [None] * 5))
    assert len(set(labels[:4])) == 1
    assert labels[4] != labels[3]


QUARRY_COLLAPSE = [
    "HALVERN - A wall of rock collapsed at the Stennor limestone quarry outside Halvern on "
    "Thursday, burying two excavator drivers, the quarry's operator Grey Ridge Minerals said. "
    "Rescue teams with sniffer dogs were digging through the rubble on Thursday evening. "
    "Grey Ridge Minerals said blasting had been carried out at the site on Wednesday.",
    "Rescuers at the Stennor quarry near Halvern recovered the body of one of two excavator "
    "drivers buried by a rockfall, the fire brigade said on Friday. "
    "Fire brigade commander Lena Morrow said the search for the second man was dangerous "
    "because the quarry face was still unstable. "
    "Grey Ridge Minerals said it had suspended all work at the quarry.",
    "The union representing workers at the Stennor quarry near Halvern said on Friday that "
    "drivers had warned Grey Ridge Minerals about cracks in the quarry face for weeks. "
    "Union official Dario Kest said two complaints had been filed in writing. "
    "Grey Ridge Minerals said it had no record of any complaint.",
    "Halvern's labour inspectorate opened an inquiry on Friday into the rockfall at the Stennor "
    "quarry that killed an excavator driver and left another missing. "
    "Chief inspector Sabine Olt said the quarry's blasting records would be seized. "
    "Lena Morrow of the fire brigade said the search had resumed at dawn.",
]
MINE_FLOOD_LOOKALIKE = (
    "CARBRY - Water flooded a coal mine at Carbry in the eastern hills on Friday, trapping four "
    "miners 300 metres underground, the mine's owner Eastfell Coal said. "
    "Pumps were brought in from a neighbouring pit to lower the water level. "
    "Mine manager Owen Trask said the men were believed to be in a sealed chamber with air. "
    "Relatives gathered at the Carbry pit head through the night. "
    "The flooding came a day after a rockfall at the Stennor quarry near Halvern buried two "
    "excavator drivers."
)


def test_lookalike_naming_the_main_incident_last_stays_apart(extractor: Extractor) -> None:
    dates = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=1), DAY + timedelta(days=1)]
    texts = [*QUARRY_COLLAPSE, MINE_FLOOD_LOOKALIKE]
    labels = DocumentGrouper().run(_profiles(extractor, texts, [*dates, DAY + timedelta(days=1)]))
    assert len(set(labels[:4])) == 1
    assert labels[4] != labels[0]


def test_lone_report_of_the_same_incident_is_still_absorbed(extractor: Extractor) -> None:
    """The lead-name test only vetoes a lone report that names another place and other people:
    a follow-up whose lede names the incident's place joins it."""
    follow_up = (
        "Mourners filled the Kettle Lane chapel on Friday for the funeral of one of the three "
        "people killed in the Blue Heron bar shooting in Orvante. "
        "The victim, a 33-year-old nurse, had been celebrating a friend's birthday. "
        "Her sister said the family wanted answers from the police."
    )
    dates = [DAY, DAY, DAY + timedelta(hours=8), DAY + timedelta(hours=10), DAY + timedelta(3)]
    labels = DocumentGrouper().run(_profiles(extractor, [*BAR_SHOOTING, follow_up], dates))
    assert len(set(labels)) == 1
