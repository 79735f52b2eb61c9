.PHONY: check test bench demo

check:  ## ruff, ruff format --check, mypy, pytest (servers must be installable)
	bash scripts/check.sh

test:   ## what CI runs on a fresh machine: install deps, then check
	bash scripts/test.sh

demo:   ## the main job on the embedded defaults
	pip install -e . && wa demo

bench:  ## fuzzy search benchmark on SQLite and PostgreSQL, 100,000 listings
	python3 bench/bench_search.py --listings 100000
