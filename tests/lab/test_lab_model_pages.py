"""The Text, Translate, Forecast and Generate (latent walk, denoising strip) pages against real runs.

One server for the module on a fresh runs folder, where the fixture trains tiny real runs (a few
seconds each): a GPT on a small text file, a dates transformer, the stock LSTM and a VAE on a
subset of Fashion-MNIST (no FID: that is measured on MNIST runs only). Each page must answer what
the library answers for the same run and input (the sampler of ``neuralab sample``, the run's own
forecasts and translation), refuse bad input with a message on the page, and draw. The MNIST
diffusion run (its recipe measures FID on the whole test set: a minute of CPU) is in the slow test.
Screenshots land in the session's ``lab-screenshots`` folder.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import numpy as np
import pytest

from lab_helpers import TOKEN
from neuralab import recipes
from neuralab.lab.server import LabServer
from test_lab_browser import browser, page  # noqa: F401 - the shared chromium fixtures

TIMEOUT_MS = 120_000  # two shared cores: a sample job's child process alone can take 15 s to start
CORPUS = "the cat sat on the mat. the dog sat on the log. a cat and a dog ran to the mat.\n" * 60
TINY = {  # recipe -> resolve() options: real trainings, cut to seconds
    "shakespeare-gpt-small": dict(engine="torch", epochs=1, overrides=[
        "lm.steps_per_epoch=40", "lm.context=32", "model.context=32", "model.d_model=32", "model.heads=2",
        "lm.eval_tokens=512", "lm.final_eval_tokens=null", "lm.sample_tokens=0", "threads=1"]),
    "dates-transformer": dict(engine="torch", epochs=1, overrides=[
        "data.options.n_train=2000", "data.options.n_val=100", "data.options.n_test=100", "model.d_model=32", "model.ff=64"]),
    "stock-lstm": dict(engine="torch", epochs=20),
    "mnist-vae": dict(engine="torch", epochs=1, overrides=["data.name=fashion-mnist", "data.subset=1000", "vae.prior_components=3"]),
}
SLOW_DDPM = dict(engine="torch", epochs=1, overrides=[  # 4 steps: a one-cycle warm-up needs more than one
    "data.subset=64", "train.batch_size=16", "schedule.pct_start=0.5", "eval.samples=4", "model.channels=[8,8,8]",
    "diffusion.steps=20", "diffusion.ddim_steps=4", "threads=1"])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model-pages")
    root = folder / "runs"
    corpus = folder / "corpus.txt"
    corpus.write_text(CORPUS)
    runs = {}
    for name, options in TINY.items():
        options = dict(options, overrides=list(options.get("overrides", [])))
        if name.startswith("shakespeare"):
            options["overrides"].append(f"data.path={corpus}")
        summary = recipes.run(recipes.resolve(name, **options), runs_root=root, progress=False)
        runs[name] = Path(summary["run_dir"])
    server = LabServer("127.0.0.1", 0, token=TOKEN, quiet=True, runs_dir=str(root)).start()
    server.root, server.runs = root, runs
    yield server
    server.stop()


def goto(page, lab, path):
    page.goto(f"{lab.base_url}{path}?token={TOKEN}")
    page.wait_for_function("() => document.body.dataset.ready === 'true' || document.body.dataset.modelsReady === 'true'",
                           timeout=30_000)


def post(lab, path, body, token=TOKEN) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", lab.port, timeout=60)
    headers = {"Content-Type": "application/json", **({"X-Neuralab-Token": token} if token else {})}
    connection.request("POST", path, body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    return response.status, (json.loads(text) if response.getheader("content-type", "").startswith("application/json") else {"text": text})


def test_text_streams_the_characters_of_the_cli_sampler(page, lab, screenshots):
    from neuralab.generative.text import sample_text
    from neuralab.inference import text_runs

    run = lab.runs["shakespeare-gpt-small"]
    goto(page, lab, "/text")
    page.get_by_test_id("text-prompt").fill("the cat")
    page.get_by_test_id("text-length").fill("400")
    page.get_by_test_id("text-top-k").fill("5")
    page.get_by_test_id("text-seed").fill("7")
    # every piece the page receives: the text must grow over several of them, not land at once
    page.evaluate("""() => { window.__lengths = [];
        new MutationObserver(() => window.__lengths.push(Number(document.body.dataset.sampled || 0)))
            .observe(document.body, {attributes: true, attributeFilter: ['data-sampled']}); }""")
    page.get_by_test_id("text-sample").click()
    page.wait_for_function("() => document.body.dataset.streaming === 'false' && document.body.dataset.sampled === '400'",
                           timeout=TIMEOUT_MS)
    lengths = [n for n in page.evaluate("() => window.__lengths") if n > 0]
    assert len(lengths) >= 3 and lengths == sorted(lengths) and 0 < lengths[0] < 400, lengths
    shown = page.get_by_test_id("text-output").inner_text()
    model = text_runs.load(run)
    expected = sample_text(model.T, model.model, model.tokenizer, "the cat", 400, context=model.config["lm"]["context"],
                           temperature=0.8, top_k=5, seed=7)
    assert shown == expected
    assert "400 characters drawn" in page.get_by_test_id("text-state").inner_text()
    page.wait_for_function("() => document.body.dataset.attention === '0/0'", timeout=30_000)  # a GPT run: its attention
    page.screenshot(path=str(screenshots / "text.png"), full_page=True)
    page.get_by_test_id("text-prompt").fill("the cat €")
    page.get_by_test_id("text-sample").click()
    page.get_by_test_id("error").filter(has_text="€").wait_for(timeout=30_000)
    assert "does not fit run" in page.get_by_test_id("error").inner_text()


def test_gpt_attention_weights_rebuild_the_blocks_attention_output():
    """The page's weights are the model's: proj(weights @ V) is the attention branch's own output."""
    import torch

    from neuralab.data.tokenizer import CharTokenizer
    from neuralab.inference.text_runs import TextModel
    from neuralab.models import gpt

    torch.manual_seed(0)
    model = gpt.build(torch, vocab_size=6, context=16, d_model=16, layers=2, heads=4, dropout=0.0).eval()
    config = {"model": {"name": "gpt", "heads": 4}, "lm": {"context": 16}}
    seen = TextModel("tiny", torch, model, CharTokenizer("abcdef"), config).attention("abcfedcab")
    weights = seen["weights"]
    assert weights.shape == (2, 4, 9, 9)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-9)
    assert np.all(np.triu(weights, 1) == 0)  # causal
    with torch.no_grad():
        x = model._embed(torch.tensor([[0, 1, 2, 5, 4, 3, 2, 0, 1]]), 0)
        for layer, block in enumerate(model.blocks):
            v = block.attn.qkv(block.ln1(x))[0, :, 32:].reshape(9, 4, 4).transpose(0, 1).double()
            mixed = (torch.from_numpy(weights[layer]) @ v).transpose(0, 1).reshape(1, 9, 16).float()
            torch.testing.assert_close(block.attn.proj(mixed), block.attn(block.ln1(x)), atol=1e-5, rtol=1e-5)
            x = block(x)


def test_translate_answers_the_runs_translation_and_its_cross_attention(page, lab, screenshots):
    from neuralab.inference import translate_runs

    run = lab.runs["dates-transformer"]
    source = "Saturday, Nov 21 2026"
    expected = json.loads((run / "summary.json").read_text())["example"]
    assert expected["source"] == source
    goto(page, lab, "/translate")
    page.get_by_test_id("translate-input").fill(source)
    page.get_by_test_id("translate").click()
    page.wait_for_function("() => document.body.dataset.translated !== undefined", timeout=60_000)
    assert page.get_by_test_id("translate-output").inner_text() == (expected["predicted"] or "(empty)")
    heads = translate_runs.load(run).config["model"]["heads"]
    assert page.get_by_test_id("translate-map").count() == heads
    page.screenshot(path=str(screenshots / "translate.png"), full_page=True)
    page.get_by_test_id("translate-input").fill("21 Nov 2026 ©")
    page.get_by_test_id("translate").click()
    page.get_by_test_id("error").filter(has_text="©").wait_for(timeout=30_000)
    assert "may use letters, digits" in page.get_by_test_id("error").inner_text()


def test_forecast_draws_the_runs_held_out_forecasts_and_a_pasted_series(page, lab, screenshots):
    run = lab.runs["stock-lstm"]
    metrics = json.loads((run / "summary.json").read_text())["metrics"]
    goto(page, lab, "/forecast")
    page.wait_for_function("() => Number(document.body.dataset.drawn || 0) >= 1", timeout=60_000)
    assert page.evaluate("() => document.body.dataset.lines") == "actual,model,naive,seasonal_naive"
    errors = page.get_by_test_id("error-model").locator("td")
    assert errors.nth(1).inner_text() == f"{metrics['model_mae']:.3f}"  # the run's own forecasts
    assert page.get_by_test_id("error-naive").locator("td").nth(1).inner_text() == f"{metrics['naive_mae']:.3f}"
    page.screenshot(path=str(screenshots / "forecast.png"), full_page=True)
    page.get_by_test_id("forecast-copy").click()
    page.get_by_test_id("forecast-horizon").fill("15")
    page.get_by_test_id("forecast-paste").click()
    page.wait_for_function("() => Number(document.body.dataset.drawn) >= 2", timeout=60_000)
    assert page.evaluate("() => document.body.dataset.lines") == "actual,model,naive,ahead"
    assert "15 steps ahead" in page.get_by_test_id("forecast-title").text_content()
    page.get_by_test_id("forecast-text").fill("1, 2, three, 4")
    page.get_by_test_id("forecast-paste").click()
    page.get_by_test_id("error").filter(has_text="three").wait_for(timeout=30_000)
    assert "numbers only; item 3" in page.get_by_test_id("error").inner_text()


def test_generate_draws_a_vae_grid_and_its_latent_walk(page, lab, screenshots):
    goto(page, lab, "/generate")
    page.wait_for_function("() => document.body.dataset.ready === 'true' && document.body.dataset.modelsReady === 'true'",
                           timeout=30_000)
    page.get_by_test_id("walk-start").fill("1")
    page.get_by_test_id("walk-end").fill("7")
    page.get_by_test_id("walk").click()
    page.wait_for_function("() => document.body.dataset.walked === '3x10'", timeout=60_000)
    assert page.locator("[data-testid=walk-grid] canvas").count() == 3 * (10 + 2)
    page.get_by_test_id("gen-n").fill("16")
    page.get_by_test_id("sample").click()  # the grid: `neuralab sample` as a job, as for GAN and diffusion runs
    page.wait_for_function("() => document.body.dataset.sampled === 'true'", timeout=TIMEOUT_MS)
    assert page.get_by_test_id("sample-image").evaluate("img => img.naturalWidth") > 100
    assert "no finished run" in page.get_by_test_id("strip-run").inner_text()
    page.screenshot(path=str(screenshots / "generate-vae.png"), full_page=True)
    page.get_by_test_id("walk-end").fill("12")
    page.get_by_test_id("walk").click()
    page.get_by_test_id("error").filter(has_text="second class").wait_for(timeout=30_000)
    assert "between 0 and 9; got 12" in page.get_by_test_id("error").inner_text()


def test_model_routes_refuse_bad_input_wrong_runs_and_no_token(lab):
    gpt, dates, stock, vae = (lab.runs[name].name for name in TINY)
    cases = [  # (path, body, status, words of the message)
        ("/api/models/text/sample", {"run": gpt, "prompt": "the", "length": 5000}, 400, "length must be between 1 and 2000"),
        ("/api/models/text/sample", {"run": gpt, "prompt": "the", "temperature": 0}, 400, "temperature must be between"),
        ("/api/models/text/sample", {"run": gpt, "prompt": "x" * 401}, 400, "1 to 400 characters"),
        ("/api/models/text/sample", {"run": gpt, "prompt": "the", "top_k": 0}, 400, "top-k must be between 1"),
        ("/api/models/text/sample", {"run": dates, "prompt": "the"}, 400, "is not a language_model run"),
        ("/api/models/text/sample", {"run": "no-such-run", "prompt": "the"}, 404, "no run"),
        ("/api/models/text/sample", {"run": "../../etc", "prompt": "the"}, 400, "refused run name"),
        ("/api/models/translate", {"run": dates, "text": "1" * 40}, 400, "1 to 32 characters"),
        ("/api/models/forecast", {"run": stock, "text": "1 2 3"}, 400, "must hold 32 to 5,000 numbers"),
        ("/api/models/forecast", {"run": stock, "text": "1 " * 40, "horizon": 1000}, 400, "horizon must be between 0 and 200"),
        ("/api/models/vae/walk", {"run": vae, "steps": 99}, 400, "steps must be between 2 and 16"),
        ("/api/models/diffusion/strip", {"run": vae}, 400, "is not a diffusion run"),
    ]
    for path, body, status, words in cases:
        got, answer = post(lab, path, body)
        assert (got, words in answer.get("error", "")) == (status, True), (path, body, answer)
    assert post(lab, "/api/models/text/sample", {"run": gpt, "prompt": "the"}, token=None)[0] == 403
    got, answer = post(lab, "/api/models/text/sample", {"run": gpt, "prompt": "the", "length": 30})
    lines = [json.loads(line) for line in answer["text"].splitlines()]
    assert got == 200 and len(lines) == 31 and lines[-1] == {"done": 30} and all(0 < line["p"] <= 1 for line in lines[:-1])


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("NEURALAB_SLOW"), reason="trains an MNIST DDPM and measures its FID (about a minute of CPU); NEURALAB_SLOW=1 runs it")
def test_generate_draws_a_ddpm_grid_and_its_denoising_strip(page, lab, screenshots):
    """A tiny MNIST DDPM (its recipe measures FID on the whole test set: about a minute of CPU)."""
    summary = recipes.run(recipes.resolve("mnist-ddpm", **SLOW_DDPM), runs_root=lab.root, progress=False)
    goto(page, lab, "/generate")
    page.wait_for_function("() => document.body.dataset.ready === 'true' && document.body.dataset.modelsReady === 'true'",
                           timeout=30_000)
    page.get_by_test_id("gen-run").select_option(Path(summary["run_dir"]).name)
    page.get_by_test_id("gen-n").fill("20")
    page.get_by_test_id("sample").click()
    page.wait_for_function("() => document.body.dataset.sampled === 'true'", timeout=TIMEOUT_MS)
    page.get_by_test_id("strip-label").fill("3")
    page.get_by_test_id("strip").click()
    page.wait_for_function("() => Number(document.body.dataset.strip || 0) >= 2", timeout=60_000)
    frames = page.locator("[data-testid=strip-frames-box] figcaption").all_inner_texts()
    assert frames[0] == "t = 20" and frames[-1] == "t = 0"
    page.screenshot(path=str(screenshots / "generate-ddpm.png"), full_page=True)


def test_pages_load_the_weights_the_summary_was_measured_with(tmp_path):
    from neuralab.inference.run_models import measured_checkpoint

    for day, (restored, expected) in enumerate(((7, "best"), (10, "last"), (None, "last")), 1):
        folder = tmp_path / f"stock-lstm-2026120{day}-000000"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"recipe": "stock-lstm", "task": "forecast"}))
        (folder / "summary.json").write_text(json.dumps({"recipe": "stock-lstm", "epochs": 10, "weights_from_epoch": restored}))
        assert measured_checkpoint(folder) == expected, restored
