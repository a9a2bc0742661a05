# The README's commands. `make demo` and `make test` each set up the venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench samples clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,ocr,cluster]'
	$(BIN)/python -m compileall -q pipeline  # bytecode now, not in every process (PYTHONDONTWRITEBYTECODE)
	$(BIN)/python -c 'from pipeline.validate.segment import prebuild; prebuild()'  # jieba's dictionary now, not in every new OUT
	touch $(STAMP)

demo: setup
	$(BIN)/pipeline run samples/batch --out out
	@echo "打开 out/index.html 查看批次报告"

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check pipeline tests benchmarks samples

bench: setup
	$(BIN)/python benchmarks/bench_batch.py

samples: setup
	$(BIN)/python samples/make_samples.py

clean:
	rm -rf out .pytest_cache
