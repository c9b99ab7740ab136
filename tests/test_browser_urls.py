"""The search page in headless Chromium: linkable searches (``/?q=``, back and forward), the label of each
result's score, and the empty-result message across the grid (see test_browser.py for what it needs)."""

from urllib.parse import parse_qs, urlparse

import pytest

from live_server import live_server
from mmretrieval.indexing import Index
from test_browser import browser, wait_for  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def server(tiny_model, assets):
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        base, stop = live_server(index)
        yield base
        stop()


def shown(driver):
    """(the query in the box, the results' title, the query in the URL)."""
    from selenium.webdriver.common.by import By

    url_q = parse_qs(urlparse(driver.current_url).query).get("q", [None])[0]
    box, title = driver.find_element(By.ID, "q"), driver.find_element(By.ID, "results-title")
    return box.get_attribute("value"), title.text, url_q


def wait_shown(driver, query, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: shown(d) == (query, f"Results for “{query}”", query))
    return wait_for(driver, "#results .card")


def test_a_link_to_a_search_runs_it_and_back_forward_follow(browser, server):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "/?q=a%20rocket")
    cards = wait_shown(browser, "a rocket")
    assert len(cards) == 5
    labels = [c.find_element(By.CSS_SELECTOR, ".score").text for c in cards]
    assert all(label.startswith("cosine ") for label in labels), labels
    assert "cosine similarity" in cards[0].find_element(By.CSS_SELECTOR, ".score").get_attribute("title")

    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys("a cat", Keys.ENTER)
    wait_shown(browser, "a cat")
    browser.back()
    wait_shown(browser, "a rocket")
    browser.forward()
    wait_shown(browser, "a cat")


def test_back_to_the_page_before_any_search_shows_its_hint(browser, server):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    wait_for(browser, "body[data-ready=true]")
    browser.find_element(By.ID, "q").send_keys("a rocket", Keys.ENTER)
    wait_shown(browser, "a rocket")
    browser.back()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "hint").is_displayed())
    assert browser.current_url == server + "/" and browser.find_element(By.ID, "q").get_attribute("value") == ""
    assert not browser.find_element(By.ID, "results-section").is_displayed()


def test_options_travel_in_the_link_and_nothing_found_spans_the_grid(browser, server):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(server + "/?q=a%20rocket&min_score=0.999&passages=1")
    message = wait_for(browser, "#results p.muted")[0]
    assert "relevance cut-off 0.999" in message.text
    assert browser.find_element(By.ID, "min-score").get_attribute("value") == "0.999"
    assert browser.find_element(By.ID, "passages").is_selected()
    grid = browser.find_element(By.ID, "results")
    assert message.size["width"] >= grid.size["width"] - 2  # one row across, not one column of the grid
