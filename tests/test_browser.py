"""End-to-end: drive the search page in headless Chromium against a live server on loopback.

Needs Debian's ``chromium`` + ``chromium-driver`` (``.ci/run`` installs them) and ``selenium``.
Screenshots go to ``$MMRETRIEVAL_SCREENSHOTS`` when set (else the test's tmp folder).
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from live_server import live_server
from mmretrieval.indexing import Index

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1200,900")


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("needs Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    profile = tempfile.mkdtemp(prefix="mmretrieval-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name):
    folder = Path(os.environ.get("MMRETRIEVAL_SCREENSHOTS") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / name))


def wait_for(driver, css, count=1, timeout=30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count)
    return driver.find_elements(By.CSS_SELECTOR, css)


def search(driver, base, query):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    if not driver.current_url.startswith(base):
        driver.get(base + "/")
    wait_for(driver, "body[data-ready=true]")
    driver.execute_script("document.getElementById('results').replaceChildren()")
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    return wait_for(driver, "#results .card")


@pytest.fixture(scope="module")
def trained_index(assets):
    """The photos in assets/ indexed by the shipped default model (or ``$MMRETRIEVAL_BROWSER_MODEL``)."""
    from mmretrieval import DEFAULT_MODEL, list_pretrained, load_model

    override = os.environ.get("MMRETRIEVAL_BROWSER_MODEL")  # a saved model folder to test instead
    if override is None and DEFAULT_MODEL not in list_pretrained():
        pytest.skip(f"the default model's trained weights ({DEFAULT_MODEL}) are not in mmretrieval/pretrained/ yet")
    with Index.open(path=":memory:", model=load_model(override)) as index:
        index.add_images(assets, show_progress_bar=False)
        yield index


@pytest.mark.parametrize("query,expected", [
    ("a rocket launching into the sky", "rocket.jpg"),
    ("a cat lying on a couch", "cat.jpg"),
    ("a man with a camera on a tripod", "camera.jpg"),
])  # not coffee: Flickr8k (the adapter's training data) has few cups, and a checkpoint ranked cat.jpg first
def test_query_puts_the_right_image_first_then_similar(browser, trained_index, query, expected):
    base, stop = live_server(trained_index)
    try:
        cards = search(browser, base, query)
        assert len(cards) == 5
        assert cards[0].get_attribute("data-name") == expected
        scores = [float(c.text.split()[-1]) for c in cards]
        assert scores == sorted(scores, reverse=True)
        cards[0].click()
        similar = wait_for(browser, "#similar .card", count=4)
        names = [c.get_attribute("data-name") for c in similar]
        assert len(names) == 4 and expected not in names
        assert browser.find_element("id", "similar-title").text == f"Similar to {expected}"
        screenshot(browser, f"search-{expected.split('.')[0]}.png")
    finally:
        stop()


def test_page_flow_on_a_tiny_model_with_api_key_and_rag(browser, tiny_model, assets, tmp_path):
    """The whole page works (grid, scores, similar, RAG sources, API key) whatever the model's quality."""
    from selenium.webdriver.common.by import By

    (tmp_path / "launch.md").write_text("# Launch\n\nThe rocket lifts off from the pad at dawn. " * 10)
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        index.add_texts(tmp_path, size=40, overlap=8, show_progress_bar=False)
        base, stop = live_server(index, api_key="s3cret")
        try:
            browser.get(base + "/")
            browser.execute_script("localStorage.clear()")
            browser.get(base + "/")
            wait_for(browser, "body[data-ready=true]")
            assert browser.find_element(By.ID, "key-row").is_displayed()
            browser.find_element(By.ID, "q").send_keys("a rocket")
            browser.find_element(By.ID, "search-btn").click()
            wait_for(browser, "#error:not([hidden])")
            assert "401" in browser.find_element(By.ID, "error").text
            key = browser.find_element(By.ID, "api-key")
            key.send_keys("s3cret")
            browser.execute_script("arguments[0].dispatchEvent(new Event('change'))", key)
            cards = search(browser, base, "a rocket")
            assert len(cards) == 5
            # thumbnails load through the key (blob URLs), not as broken images
            wait_for(browser, "#results img[src^='blob:']", count=5)
            assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 0
                       for img in browser.find_elements(By.CSS_SELECTOR, "#results img"))
            cards[2].click()
            assert len(wait_for(browser, "#similar .card", count=4)) == 4
            browser.find_element(By.ID, "ask-btn").click()
            sources = wait_for(browser, "#sources li", count=3)
            types = {s.get_attribute("data-kind") for s in sources}
            assert types == {"image", "text"}
            assert "no generator is configured" in browser.find_element(By.ID, "answer").text  # (the API's note)
            screenshot(browser, "page-tiny-model.png")
        finally:
            stop()


def test_ask_then_search_or_upload_shows_the_new_results(browser, tiny_model, assets, tmp_path):
    """After *Ask*, a search or an upload replaces the answer; the page has a hint, an icon, full-size
    links (results and RAG sources) and one font size for its buttons."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    (tmp_path / "launch.md").write_text("# Launch\n\nThe rocket lifts off from the pad at dawn. " * 10)
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        index.add_texts(tmp_path, size=40, overlap=8, show_progress_bar=False)
        base, stop = live_server(index)
        try:
            browser.get(base + "/")
            wait_for(browser, "body[data-ready=true]")
            hint = browser.find_element(By.ID, "hint")
            assert hint.is_displayed() and "Search by image" in hint.text
            fetch = "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then((r) => done(r.status))"
            assert browser.execute_async_script(fetch, "/favicon.ico") == 200
            icon = browser.find_element(By.CSS_SELECTOR, "link[rel=icon]").get_attribute("href")
            assert browser.execute_async_script(fetch, icon) == 200
            style = "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]"
            for prop in ("fontSize", "fontFamily"):
                assert browser.execute_script(style, "#search-btn", prop) == browser.execute_script(style, ".upload", prop)

            def ask(question):
                box = browser.find_element(By.ID, "q")
                box.clear()
                box.send_keys(question)
                browser.find_element(By.ID, "ask-btn").click()
                return wait_for(browser, "#sources li", count=3)

            ask("when does the rocket lift off?")
            links = browser.find_elements(By.CSS_SELECTOR, "#sources li[data-kind=image] a.full img")
            assert links, "RAG source thumbnails open the full image"
            cards = search(browser, base, "a rocket")
            assert not browser.find_element(By.ID, "answer-section").is_displayed()
            assert browser.find_element(By.ID, "results-section").is_displayed() and not hint.is_displayed()
            tabs = set(browser.window_handles)
            cards[0].find_element(By.CSS_SELECTOR, "a.full").click()
            WebDriverWait(browser, 20).until(lambda d: len(d.window_handles) == len(tabs) + 1)
            assert not browser.find_element(By.ID, "similar-section").is_displayed()  # the link is not "similar"
            home = browser.current_window_handle
            browser.switch_to.window((set(browser.window_handles) - tabs).pop())
            WebDriverWait(browser, 20).until(lambda d: "/api/image/" in d.current_url)
            browser.close()
            browser.switch_to.window(home)

            ask("what is on the pad?")
            upload = browser.find_element(By.ID, "upload")
            browser.execute_script("arguments[0].style.display = 'block'", upload)
            upload.send_keys(str(assets / "cat.jpg"))
            WebDriverWait(browser, 30).until(
                lambda d: d.find_element(By.ID, "results-title").text == "Images like cat.jpg"
                and d.find_element(By.ID, "results-section").is_displayed())
            assert not browser.find_element(By.ID, "answer-section").is_displayed()
            screenshot(browser, "ask-then-upload.png")
        finally:
            stop()


def test_page_marks_the_words_ocr_read_that_match(browser, tmp_path, assets):
    pytest.importorskip("rapidocr")
    from mmretrieval import load_model
    from test_ocr import render_sign

    render_sign(tmp_path / "sign.jpg")
    with Index.open(path=":memory:", model=load_model()) as index:
        index.add_images([str(assets), str(tmp_path / "sign.jpg")], ocr=True, show_progress_bar=False)
        base, stop = live_server(index)
        try:
            cards = search(browser, base, "trains to Edinburgh leave from platform 4")
            marks = wait_for(browser, "#results .card .ocr mark", count=5)
            screenshot(browser, "ocr-words.png")
            assert cards[0].get_attribute("data-name") == "sign.jpg"
            assert {m.text.upper() for m in marks} == {"PLATFORM", "TRAINS", "EDINBURGH", "LEAVE", "4"}
        finally:
            stop()


def test_min_score_field_cuts_the_results(browser, tiny_model, assets):
    """The page's *min score* field reaches /api/search: a strict one leaves nothing and says why, 0 none."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        base, stop = live_server(index)
        try:
            browser.get(base + "/")
            wait_for(browser, "body[data-ready=true]")
            field = browser.find_element(By.ID, "min-score")
            assert field.get_attribute("placeholder") == "none"  # the tiny model has no default cut-off
            field.send_keys("0.999")  # (any number: a step would make the form refuse 0.999)
            browser.find_element(By.ID, "q").send_keys("a rocket", Keys.ENTER)
            message = wait_for(browser, "#results p.muted")[0].text
            assert "Nothing found" in message and "relevance cut-off 0.999" in message
            field.clear()
            field.send_keys("0")
            assert len(search(browser, base, "a rocket")) == 5
        finally:
            stop()
