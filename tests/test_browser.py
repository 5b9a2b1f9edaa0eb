"""The browse UI and the static graph page in a real headless Chromium (selenium), offline.

Chromium cannot reach the network: every host name fails to resolve except the loopback
server, every non-loopback connection goes to a dead proxy, and each test checks that all
resources the page loaded are local. Without chromium / chromedriver the tests skip,
unless KG_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import time
from urllib.parse import quote

import pytest

from kg.server.run import Settings, running

TELECOM = "https://w3id.org/kgzh/id/org/中国电信"
REQUIRE = os.environ.get("KG_REQUIRE_BROWSER") == "1"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1200"]


def _binaries() -> tuple[str | None, str | None]:
    chrome = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    return chrome, shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chrome, driver_path = _binaries()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chrome = None
    if not (chrome and driver_path):
        message = "chromium, chromedriver or selenium not installed"
        if REQUIRE:
            pytest.fail(f"KG_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # offline: no name resolves but the loopback address, and anything else goes to a dead proxy
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
    options.add_argument("--proxy-server=http://127.0.0.1:9")
    options.add_argument("--proxy-bypass-list=127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)  # no Selenium Manager download
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def base(sample_output):
    with running(sample_output, Settings(port=0, timeout=10)) as url:
        yield url


def wait_for(driver, script: str, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def assert_offline_and_clean(driver) -> None:
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    remote = [u for u in urls if not u.startswith(("http://127.0.0.1", "file:", "data:", "blob:"))]
    assert not remote, remote
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def click_node(driver, network: str, container_id: str, label: str) -> None:
    """A real mouse click on the node labelled ``label``, at its position in the viewport."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    x, y = driver.execute_script(
        f"""const net = {network};
        document.getElementById(arguments[1]).scrollIntoView({{block: "center"}});
        const id = net.body.data.nodes.get().find(n => n.label === arguments[0]).id;
        const p = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.getElementById(arguments[1]).getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];""",
        label,
        container_id,
    )
    assert 0 <= y < driver.execute_script("return window.innerHeight"), "the node is outside the window"
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()


# ---------------------------------------------------------------- browse UI (kg serve)


def test_entity_page_draws_the_neighbourhood(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/entity?iri={quote(TELECOM)}")
    wait_for(browser, "return document.getElementById('graph').dataset.ready === 'true'")
    assert browser.find_element(By.ID, "entity-label").text == "中國電信"
    canvas = browser.find_element(By.CSS_SELECTOR, "#graph canvas")
    assert canvas.size["width"] > 100 and canvas.size["height"] > 100
    assert browser.execute_script("return kgNetwork.body.data.nodes.length") >= 4
    # something was drawn: the canvas is not blank
    assert browser.execute_script(
        "const c = document.querySelector('#graph canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false;"
    )
    assert "Company" in browser.find_element(By.ID, "legend").text
    assert_offline_and_clean(browser)


def test_clicking_a_node_shows_its_evidence(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/entity?iri={quote(TELECOM)}")
    wait_for(browser, "return document.getElementById('graph').dataset.ready === 'true'")
    click_node(browser, "kgNetwork", "graph", "700多個數據中心")
    details = wait_for(browser, "const t = document.getElementById('details').innerText; return t.includes('owns') && t;")
    assert "中國電信現擁有700多個數據中心" in details
    assert browser.find_element(By.CSS_SELECTOR, "#details a.entity").get_attribute("href").startswith(base + "/entity?iri=")


def test_search_finds_the_traditional_name_by_its_simplified_form(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/entity?iri={quote(TELECOM)}")  # the page shows 中國電信
    box = browser.find_element(By.ID, "search-input")
    box.send_keys("中国电信")
    browser.find_element(By.ID, "search-button").click()
    wait_for(browser, "return document.getElementById('hits') !== null")
    link = browser.find_element(By.CSS_SELECTOR, "#hits a.entity")
    assert link.text == "中國電信"
    link.click()
    wait_for(browser, "return document.getElementById('entity-label') !== null")
    assert browser.find_element(By.ID, "entity-label").text == "中國電信"
    assert_offline_and_clean(browser)


def test_query_page_runs_an_example(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/query")
    browser.find_element(By.CSS_SELECTOR, "#examples a[href='/query?example=stock_codes']").click()
    wait_for(browser, "return document.getElementById('results') !== null")
    assert "00728" in browser.find_element(By.ID, "results").text
    assert "hasStockCode" in browser.find_element(By.ID, "query-text").get_attribute("value")
    assert_offline_and_clean(browser)


# ---------------------------------------------------------------- the static page (kg build / kg viz)


def test_static_page_renders_searches_filters_and_explains(browser, sample_output):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = (sample_output / "graph.html").as_uri()
    browser.get(page)
    wait_for(browser, "return document.body.dataset.kgReady === 'true'")
    canvas = browser.find_element(By.CSS_SELECTOR, "#mynetwork canvas")
    assert canvas.size["width"] > 100
    shown = browser.execute_script("return nodes.get().map(n => n.label)")
    assert "中國電信" in shown and "中国电信" not in shown

    # the node under the mouse shows its evidence
    click_node(browser, "network", "mynetwork", "Sora")
    details = wait_for(browser, "const t = document.getElementById('kg-details').innerText; return t.includes('released') && t;")
    assert "OpenAI釋出首個文生影片模型“Sora”" in details

    # search in Simplified finds the Traditional label
    search = browser.find_element(By.ID, "kg-search")
    search.send_keys("中国电信")
    assert wait_for(browser, "return document.getElementById('kg-search-result').textContent").startswith("中國電信")
    assert browser.execute_script("return network.getSelectedNodes()") == [
        browser.execute_script("return nodes.get().find(n => n.label === '中國電信').id")
    ]
    assert "00728" in browser.find_element(By.ID, "kg-details").text

    # Simplified labels on request
    Select(browser.find_element(By.ID, "kg-script")).select_by_value("2")
    assert "中国电信" in browser.execute_script("return nodes.get().map(n => n.label)")

    # type filter and minimum confidence
    browser.find_element(By.CSS_SELECTOR, "#kg-legend input[data-type='Quantity']").click()
    hidden = browser.execute_script("return nodes.get().filter(n => n.hidden).map(n => n.kgType)")
    assert hidden and set(hidden) == {"Quantity"}
    browser.execute_script(
        "const r = document.getElementById('kg-min-confidence'); r.value = '0.9'; r.dispatchEvent(new Event('input'));"
    )
    low = browser.execute_script("return edges.get().filter(e => !e.hidden && e.kgConfidence < 0.9).length")
    assert low == 0 and browser.execute_script("return edges.get().filter(e => !e.hidden).length") > 0
    assert_offline_and_clean(browser)
    # the browser really is offline (the page above loaded nothing from it)
    reached = browser.execute_async_script(
        "const done = arguments[0]; fetch('http://example.com/', {mode: 'no-cors'}).then(() => done('reached'), () => done('blocked'));"
    )
    assert reached == "blocked"
