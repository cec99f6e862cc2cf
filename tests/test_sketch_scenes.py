"""The sketch renderer draws what the scene says: the weather as the text leaves it (negation and change), the
place carried from scene to scene, props by the character who holds them, and the palette the user writes."""

from __future__ import annotations

import numpy as np
import pytest

from dreamfactory_studio.backends.image import FigureFacts, PanelFacts
from dreamfactory_studio.backends.image.sketch import render_panel
from dreamfactory_studio.backends.image.sketch_palette import scheme_for
from dreamfactory_studio.backends.image.sketch_scenery import props_by_holder, weather_of
from dreamfactory_studio.core.story_reading.places import settings_of


@pytest.mark.parametrize(
    "text, rain, wet",
    [
        ("Heavy rain lashes the windows.", True, True),
        ("By evening the rain has stopped.", False, True),
        ("At dawn the storm is over and the rain has stopped.", False, True),
        ("By dusk the wind turns. Heavy rain lashes the windows.", True, True),
        ("Wei wears a yellow raincoat.", False, False),
        ("It rains all morning. Then the sun comes out over a calm and blue sea.", False, True),
    ],
)
def test_the_weather_is_what_the_text_leaves_it(text, rain, wet):
    weather = weather_of(text)
    assert (weather.rain, weather.wet) == (rain, wet)


def test_the_fog_lifts():
    assert weather_of("Fog swallows the ferry.").fog
    assert not weather_of("Fog swallows the ferry. Later the fog lifts from the river.").fog


def test_a_scene_that_names_no_place_stays_where_the_one_before_was():
    scripts = [
        "Lin works in her narrow shop.",
        "She hands him a knife.",
        "They carry it down the wet street.",
    ]
    assert settings_of(scripts) == [("shop", ""), ("shop", ""), ("street", "")]
    assert settings_of(["At dawn Amara waits on the dock.", "That evening she leaves."])[1] == (
        "dock",
        "evening",
    )


def test_props_go_to_whoever_the_sentence_gives_them():
    given = props_by_holder("Ravi hands Mira the kite. Mira opens her umbrella.", ["Mira", "Ravi"])
    assert given == {1: ["kite"], 0: ["umbrella"]}


def test_the_users_palette_changes_the_picture():
    grey = scheme_for("illustration", "cold steel greys with one green accent")
    warm = scheme_for("illustration", "warm ochres and reds")
    assert grey["accent"] == scheme_for("", "green accent")["accent"] and grey["sky"] != warm["sky"]
    facts = dict(scene_number=1, narration="", script="Lin walks down the street.", shot="wide")
    a = np.asarray(
        render_panel(PanelFacts(**facts, palette="cold steel greys with one green accent"), 320, 180, 1)
    )
    b = np.asarray(render_panel(PanelFacts(**facts, palette="warm ochres and reds"), 320, 180, 1))
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 5


def test_places_look_different_from_one_another():
    pictures = {}
    for place in (
        "shop",
        "engine room",
        "corridor",
        "station",
        "street",
        "alley",
        "market",
        "rooftop",
        "deck",
    ):
        facts = PanelFacts(
            scene_number=1,
            narration="",
            script="",
            place=place,
            characters=(FigureFacts("Ada", "a woman in a red coat"),),
        )
        pictures[place] = np.asarray(render_panel(facts, 320, 180, 3)).astype(int)
    places = list(pictures)
    for i, a in enumerate(places):
        for b in places[i + 1 :]:
            assert np.abs(pictures[a] - pictures[b]).mean() > 3, (a, b)


def test_a_crowd_is_several_figures_and_rain_that_stopped_is_not_drawn():
    base = dict(scene_number=1, narration="", shot="wide", place="street")
    empty = np.asarray(render_panel(PanelFacts(**base, script="The street is empty."), 320, 180, 2)).astype(
        int
    )
    crowd = np.asarray(
        render_panel(PanelFacts(**base, script="A crowd fills the street."), 320, 180, 2)
    ).astype(int)
    assert np.abs(empty - crowd).mean() > 1
    raining = np.asarray(render_panel(PanelFacts(**base, script="Heavy rain falls."), 320, 180, 2)).astype(
        int
    )
    stopped = np.asarray(
        render_panel(PanelFacts(**base, script="The rain has stopped."), 320, 180, 2)
    ).astype(int)
    streaks = lambda img: int((np.abs(np.diff(img[:100].mean(axis=2), axis=1)) > 40).sum())  # noqa: E731
    assert streaks(raining) > streaks(stopped) + 100


def test_no_caption_is_drawn_into_the_keyframe():
    """The scene's number, shot and camera are the cards', the PDF's and the subtitles' to show: a moved scene
    must not keep "SCENE 05" on its picture, nor a camera move crop it."""
    facts = dict(narration="Mira waits on the pier.", script="Mira waits on the pier at dusk.", shot="wide")
    first = np.asarray(render_panel(PanelFacts(scene_number=1, camera="", **facts), 320, 180, 3))
    moved = np.asarray(render_panel(PanelFacts(scene_number=5, camera="slow pan left", **facts), 320, 180, 3))
    assert np.array_equal(first, moved)
    bottom = first[-24:].reshape(-1, 3).astype(int)
    assert np.abs(bottom - (250, 249, 245)).sum(axis=1).min() > 30  # not the old caption bar's paper


def test_a_person_carrying_an_animal_is_drawn_as_a_person():
    from dreamfactory_studio.backends.image.sketch import Figure

    assert Figure(FigureFacts("Marlowe", "50s, rumpled, a cat under his coat")).kind == "person"
    assert Figure(FigureFacts("Biscuit", "a ginger cat")).kind == "animal"
