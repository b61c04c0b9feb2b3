# Sourced by `make test`: make sure Debian's Chromium (and a Chinese font, so zh-CN
# screenshots show characters, not boxes) is there for the Playwright browser tests and
# export FENPEI_TEST_CHROMIUM. Playwright's own browser download does not work on
# these machines, so tests launch this binary (see tests/browser/conftest.py).
# With CI=true a missing Chromium is an error; elsewhere the browser tests skip with a
# visible reason.
: "${FENPEI_TEST_CHROMIUM:=/usr/bin/chromium}"
export FENPEI_TEST_CHROMIUM

_browser_packages=""
if [ ! -x "$FENPEI_TEST_CHROMIUM" ] && [ "$FENPEI_TEST_CHROMIUM" = /usr/bin/chromium ]; then
  _browser_packages="chromium"
fi
if [ ! -d /usr/share/fonts/truetype/wqy ] && ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  _browser_packages="$_browser_packages fonts-wqy-microhei"
fi
if [ -n "$_browser_packages" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "browser-for-tests: installing$_browser_packages from Debian's packages" >&2
  # shellcheck disable=SC2086  # the package list is meant to split
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $_browser_packages >/dev/null 2>&1 \
    || (apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $_browser_packages) >/dev/null 2>&1) \
    || echo "browser-for-tests: apt-get install$_browser_packages failed" >&2
fi
unset _browser_packages

if [ "${CI:-}" = "true" ] && [ -z "${FENPEI_TEST_BROWSER_REQUIRED:-}" ]; then
  export FENPEI_TEST_BROWSER_REQUIRED=1
fi
if [ ! -x "$FENPEI_TEST_CHROMIUM" ]; then
  if [ "${FENPEI_TEST_BROWSER_REQUIRED:-}" = "1" ]; then
    echo "browser-for-tests: Chromium is required (CI=true) but $FENPEI_TEST_CHROMIUM is missing" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "browser-for-tests: no Chromium at $FENPEI_TEST_CHROMIUM; browser tests will be skipped" >&2
fi
