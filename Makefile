# The two commands: `make check` (install + check the bundled profiles) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install check test demo bench clean

# the project's own modules are compiled here: an editable install leaves that to the first
# import, which cannot write them where PYTHONDONTWRITEBYTECODE is set (many container images),
# so every run would compile them again (~0.2 s of each process's start-up)
install: $(STAMP)
	@$(BIN)/python -m compileall -q crawler spiders snapshots diffing scheduler

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("clausewatch needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,distributed,render,web]'
	touch $(STAMP)

# make itself exits 2 whenever a command fails; the line below names clausewatch's own exit code
check: install
	@$(BIN)/clausewatch validate && $(BIN)/clausewatch check || { code=$$?; \
	  echo "clausewatch exited $$code (0 done, 2 profile or settings error, 3 some documents failed, 4 another run holds the lease, 5 the lease was taken over, 6 the database failed)" >&2; \
	  exit $$code; }

test: install
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/python demo/run.py

bench: install
	$(BIN)/python bench/extract_bench.py
	$(BIN)/python bench/page_bench.py
	$(BIN)/python bench/quality_bench.py
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/queue_bench.py
	$(BIN)/python bench/startup_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
