"""A user's own data (issue #18 item 6): a CSV, an image folder and an npz written here train tiny
models through the CLI; bad data get one-line errors naming the row or file; `data inspect`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neuralab import data
from neuralab.cli import main

CLASSES = ("setosa", "versicolor", "virginica")


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def blobs(n_per_class: int, seed: int, features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs whose centres lie 4 standard deviations apart on each axis: the
    Bayes error is below 1%, so a tiny MLP that learns anything sits far above chance (1/3)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    x = rng.normal(size=(len(y), features)) + 4.0 * y[:, None] + np.array([10.0, -3.0, 0.5])[:features]
    return x, y


def write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    lines = ["height,species,width,depth"]
    lines += [f"{a:.4f},{CLASSES[k]},{b:.4f},{c:.4f}" for (a, b, c), k in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")
    return path


def squares(n_per_class: int, seed: int, size: int = 8) -> dict[str, list[np.ndarray]]:
    """Grey pictures with noise and one bright 3x3 square in the top rows ('top') or the bottom rows
    ('bottom'), anywhere across: the brightness of the top half against the bottom half tells them
    apart, a linear rule an MLP or a CNN finds within a few epochs."""
    rng = np.random.default_rng(seed)
    pictures = {"top": [], "bottom": []}
    for name in pictures:
        for _ in range(n_per_class):
            image = rng.uniform(0, 60, (size, size))
            row = rng.integers(0, 2) if name == "top" else rng.integers(size - 4, size - 2)
            column = rng.integers(0, size - 2)
            image[row:row + 3, column:column + 3] = 255
            pictures[name].append(image.astype(np.uint8))
    return pictures


def write_folder(root: Path, pictures: dict[str, list[np.ndarray]]) -> Path:
    for name, images in pictures.items():
        (root / name).mkdir(parents=True)
        for i, image in enumerate(images):
            Image.fromarray(image).save(root / name / f"{i:03d}.png")
    return root


def train(root: Path, recipe: str, *flags: str) -> tuple[Path, dict]:
    assert main(["train", recipe, "--out", str(root), "--set", "threads=1", "--quiet", *flags]) == 0
    (run,) = [p for p in root.iterdir() if p.name.startswith(recipe)]
    return run, json.loads((run / "summary.json").read_text())


@pytest.fixture(scope="module")
def user_files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("user")
    x, y = blobs(40, seed=0)
    folder = write_folder(root / "squares", squares(40, seed=0))
    x_test, y_test = blobs(10, seed=1)
    np.savez(root / "blobs.npz", x=x.astype(np.float32), y=y, x_test=x_test.astype(np.float32), y_test=y_test)
    return {"csv": write_csv(root / "flowers.csv", x, y), "folder": folder, "npz": root / "blobs.npz", "root": root}


@pytest.fixture(scope="module")
def csv_run(user_files, tmp_path_factory) -> tuple[Path, dict]:
    return train(tmp_path_factory.mktemp("runs"), "iris-mlp", "--epochs", "30", "--set", "data.name=csv",
                 "--set", f"data.options.path={user_files['csv']}", "--set", "data.options.label=species")


def test_a_csv_trains_an_mlp_through_the_cli(csv_run, user_files):
    run, summary = csv_run
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["options"]["path"] == str(user_files["csv"].resolve())  # pinned: readable from anywhere
    assert config["model"]["sizes"][0] == 3 and config["model"]["sizes"][-1] == 3  # fitted to 3 features, 3 classes
    assert summary["epochs"] == 30
    # chance is 1/3 and the blobs are 4 sigma apart; 36 test rows (20%), so 0.8 leaves room for 7 mistakes
    assert summary["metrics"]["test_accuracy"] >= 0.8


def test_the_csv_splits_are_stratified_seeded_and_standardized_with_training_statistics(user_files):
    from neuralab import recipes
    from neuralab.recipes.common import load_splits

    splits = data.load("csv", path=str(user_files["csv"]), label="species")
    assert splits.classes == CLASSES and splits.input_shape == (3,)
    assert [len(splits.train), len(splits.val), len(splits.test)] == [84, 12, 24]
    assert np.bincount(splits.test.y).tolist() == [8, 8, 8]  # round(0.2 * 40) of each class
    again = data.load("csv", path=str(user_files["csv"]), label="species")
    other = data.load("csv", path=str(user_files["csv"]), label="species", seed=1)
    np.testing.assert_array_equal(again.test.x, splits.test.x)
    assert not np.array_equal(other.test.x, splits.test.x)
    config = recipes.resolve("iris-mlp", overrides=["data.name=csv", f"data.options.path={user_files['csv']}",
                                                    "data.options.label=species"])
    scaled = load_splits(config)
    np.testing.assert_allclose(scaled.train.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(scaled.train.x.std(axis=0), 1.0, atol=1e-4)
    mean, std = splits.train.x.mean(axis=0), splits.train.x.std(axis=0)
    np.testing.assert_allclose(scaled.test.x, (splits.test.x - mean) / std, atol=1e-4)


def test_predict_reads_the_training_csv_by_its_feature_columns(csv_run, user_files, capsys):
    run, _ = csv_run
    capsys.readouterr()
    code, out, err = run_cli(capsys, "predict", run, user_files["csv"], "--json", "--top", "1")
    assert code == 0, err
    results = json.loads(out)
    x, y = blobs(40, seed=0)
    assert len(results) == len(y) and results[0]["input"].endswith("flowers.csv, row 2")
    accuracy = np.mean([r["top"][0]["class"] == CLASSES[k] for r, k in zip(results, y)])
    assert accuracy >= 0.8  # the same bar as the test split: these rows include the training ones


def test_an_image_folder_trains_a_flatten_mlp_and_a_cnn(user_files, tmp_path, capsys):
    options = ["--set", "data.name=folder", "--set", f"data.options.path={user_files['folder']}"]
    _, mlp = train(tmp_path / "mlp", "digits-mlp", "--epochs", "15", *options)
    # chance is 1/2 and a bright square in the top or bottom half is plain to see: 16 test pictures, so
    # 0.85 allows two mistakes
    assert mlp["metrics"]["test_accuracy"] >= 0.85
    run, cnn = train(tmp_path / "cnn", "mnist-cnn", "--epochs", "8", "--batch-size", "16", *options,
                     "--set", "data.augment.shift=0")
    model = json.loads((run / "config.json").read_text())["model"]
    assert (model["in_channels"], model["image_size"], model["num_classes"]) == (1, 8, 2)
    assert cnn["metrics"]["test_accuracy"] >= 0.85
    picture = user_files["root"] / "top-square.png"  # 4x the training size: predict resizes it
    Image.fromarray(squares(1, seed=5)["top"][0]).resize((32, 32), Image.Resampling.NEAREST).save(picture)
    capsys.readouterr()  # the training summaries
    code, out, err = run_cli(capsys, "predict", run, picture, "--json")
    assert code == 0, err
    assert [entry["class"] for entry in json.loads(out)[0]["top"]] == ["top", "bottom"]


def test_npz_arrays_train_with_their_own_test_split(user_files, tmp_path):
    splits = data.load("npz", path=str(user_files["npz"]))
    assert len(splits.test) == 30 and [len(splits.train), len(splits.val)] == [108, 12]
    assert splits.classes == ("0", "1", "2")
    _, summary = train(tmp_path, "iris-mlp", "--epochs", "30", "--set", "data.name=npz",
                       "--set", f"data.options.path={user_files['npz']}")
    assert summary["metrics"]["test_accuracy"] >= 0.8  # chance 1/3, blobs 4 sigma apart, 30 test examples


def test_a_recorded_checksum_is_checked(user_files, capsys):
    found = data.load("csv", path=str(user_files["csv"]), label="species").sha256["content"]
    assert data.load("csv", path=str(user_files["csv"]), label="species", sha256=found).sha256["content"] == found
    code, _, err = run_cli(capsys, "data", "inspect", user_files["csv"], "--set", "label=species", "--set", "sha256=" + "0" * 64)
    assert code == 2 and "SHA-256 mismatch" in err and found in err


def test_data_inspect_shows_what_would_be_loaded(user_files, capsys):
    code, out, err = run_cli(capsys, "data", "inspect", user_files["csv"], "--set", "label=species")
    assert code == 0, err
    assert "csv, 120 rows, input 3 (tabular)" in out and "features (3): height, width, depth" in out
    assert "splits: train 84, val 12, test 24" in out and "problems: none" in out
    assert "neuralab train iris-mlp --set data.name=csv" in out
    code, out, err = run_cli(capsys, "data", "inspect", user_files["folder"], "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["kind"] == "folder" and found["examples"] == 80 and found["input_shape"] == [1, 8, 8]
    assert found["classes"] == {"bottom": {"train": 28, "val": 4, "test": 8}, "top": {"train": 28, "val": 4, "test": 8}}
    code, out, _ = run_cli(capsys, "data", "inspect", user_files["npz"])
    assert code == 0 and "test 30 (x_test/y_test" in out


def test_data_inspect_reports_problems_that_do_not_stop_loading(tmp_path, capsys):
    rows = ["a,b,label"] + [f"{i},1,{'big' if i < 30 else 'rare'}" for i in range(32)]
    (tmp_path / "rare.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "pictures" / "x").mkdir(parents=True)
    (tmp_path / "pictures" / "y").mkdir()
    (tmp_path / "pictures" / "x" / "notes.txt").write_text("not a picture")
    for name, size in (("x", (6, 4)), ("y", (5, 5))):
        for i in range(3):
            Image.new("RGB", size, (i * 40, 10, 200)).save(tmp_path / "pictures" / name / f"{i}.jpg")
    code, out, _ = run_cli(capsys, "data", "inspect", tmp_path / "rare.csv")
    assert code == 0
    assert "column 'b' is the same in every row" in out and "class 'rare' has 2 examples: none in val, test" in out
    assert "classes are imbalanced: 30 examples of the largest, 2 of the smallest" in out
    code, out, _ = run_cli(capsys, "data", "inspect", tmp_path / "pictures", "--set", "size=[4,4]", "--json")
    found = json.loads(out)
    assert code == 0 and found["input_shape"] == [3, 4, 4]  # RGB JPEGs: 3 channels
    assert "skipped 1 files that are not pictures (notes.txt)" in found["problems"]
    assert "6 of 6 pictures resized to 4x4 (width x height)" in found["problems"]


def _bad_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("", "bad.csv: the file is empty"),
    ("a,b,species\n1,2,x\n3,4,y\n", "bad.csv: no label column 'label' (columns: a, b, species)"),
    ("a,b,label\n1,2,x\n3,4,x\n5,6,x\n", "bad.csv: one class only ('x' in all 3 rows)"),
    ("a,b,label\n1,2,x\n3,four,y\n", "bad.csv, row 3, column 'b': 'four' is not a number"),
    ("a,b,label\n1,2,x\n3,,y\n", "bad.csv, row 3, column 'b': is empty"),
    ("a,b,label\n1,2,x\n3,inf,y\n", "bad.csv, row 3, column 'b': 'inf' is not a finite number"),
    ("a,b,label\n1,2,x\n3,4\n", "bad.csv, row 3: 2 cells; the header names 3 columns"),
    ("a,b,label\n", "bad.csv: a header but no data rows"),
])
def test_bad_csv_files_get_one_line_naming_the_row(tmp_path, capsys, text, message):
    code, _, err = run_cli(capsys, "data", "inspect", _bad_csv(tmp_path, text))
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_csv_stops_training_with_the_same_line(tmp_path, capsys):
    bad = _bad_csv(tmp_path, "a,b,label\n1,2,x\n3,four,y\n")
    code, _, err = run_cli(capsys, "train", "iris-mlp", "--set", "data.name=csv", "--set", f"data.options.path={bad}",
                           "--out", tmp_path / "runs", "--quiet")
    assert code == 2 and "bad.csv, row 3, column 'b': 'four' is not a number" in err
    code, _, err = run_cli(capsys, "train", "iris-mlp", "--set", "data.name=csv", "--set", "data.options.lable=x")
    assert code == 2 and "csv has no option 'lable'" in err
    code, _, err = run_cli(capsys, "train", "iris-mlp", "--set", "data.name=csv", "--out", tmp_path / "runs")
    assert code == 2 and "the csv dataset reads your own data: set data.options.path=FILE.csv" in err


def test_bad_image_folders_name_the_file(tmp_path, capsys):
    mixed = tmp_path / "mixed"
    for name, size in (("a", (8, 8)), ("b", (10, 8))):
        (mixed / name).mkdir(parents=True)
        Image.new("L", size).save(mixed / name / "0.png")
    code, _, err = run_cli(capsys, "data", "inspect", mixed)
    assert code == 2 and "pictures differ in size" in err and str(mixed / "a" / "0.png") in err and "b/0.png is 10x8" in err
    (mixed / "b" / "broken.png").write_bytes(b"not a png at all")
    code, _, err = run_cli(capsys, "data", "inspect", mixed, "--set", "size=8")
    assert code == 2 and f"{mixed / 'b' / 'broken.png'}: not a picture that can be read" in err
    single = tmp_path / "single" / "only"
    single.mkdir(parents=True)
    Image.new("L", (4, 4)).save(single / "0.png")
    Image.new("L", (4, 4)).save(single / "1.png")
    code, _, err = run_cli(capsys, "data", "inspect", single.parent)
    assert code == 2 and "one class only ('only' in all 2 pictures)" in err
    Image.new("L", (4, 4)).save(single.parent / "loose.png")
    code, _, err = run_cli(capsys, "data", "inspect", single.parent)
    assert code == 2 and "pictures directly in the folder (loose.png, ...)" in err


def test_bad_npz_files_are_refused_clearly(tmp_path, capsys):
    np.savez(tmp_path / "noy.npz", x=np.zeros((4, 2)))
    code, _, err = run_cli(capsys, "data", "inspect", tmp_path / "noy.npz")
    assert code == 2 and "noy.npz: no array 'y' (arrays: x)" in err
    np.savez(tmp_path / "objects.npz", x=np.zeros((2, 2)), y=np.array([{"a": 1}, None], dtype=object))
    code, _, err = run_cli(capsys, "data", "inspect", tmp_path / "objects.npz")
    assert code == 2 and "objects.npz: not a readable .npz of arrays" in err  # allow_pickle=False: never unpickled
    np.savez(tmp_path / "nan.npz", x=np.array([[0.0, 1.0], [np.nan, 2.0]]), y=np.array([0, 1]))
    code, _, err = run_cli(capsys, "data", "inspect", tmp_path / "nan.npz")
    assert code == 2 and "nan.npz: x[1] holds NaN or infinity" in err
    (tmp_path / "text.npz").write_text("hello")
    code, _, err = run_cli(capsys, "data", "inspect", tmp_path / "text.npz")
    assert code == 2 and "text.npz: not a readable .npz" in err



def test_iris_as_a_csv_and_digits_as_an_npz_load_exactly_as_the_built_in_sets(tmp_path):
    """The same rows in the same order give the same splits: user sets split as the built-in ones."""
    from sklearn import datasets

    iris, digits = datasets.load_iris(), datasets.load_digits()
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    rows += [",".join(f"{v:.1f}" for v in x) + f",{iris.target_names[k]}" for x, k in zip(iris.data, iris.target)]
    (tmp_path / "iris.csv").write_text("\n".join(rows) + "\n")
    np.savez(tmp_path / "digits.npz", x=(digits.images / 16.0).astype(np.float32), y=digits.target)  # (N, 8, 8)
    pairs = ((data.load("iris"), data.load("csv", path=str(tmp_path / "iris.csv"), label="species")),
             (data.load("digits"), data.load("npz", path=str(tmp_path / "digits.npz"))))
    for built_in, user in pairs:
        assert user.classes == built_in.classes and user.input_shape == built_in.input_shape
        for part in ("train", "val", "test"):
            np.testing.assert_array_equal(getattr(user, part).x, getattr(built_in, part).x)
            np.testing.assert_array_equal(getattr(user, part).y, getattr(built_in, part).y)


def test_user_sets_are_registered_but_not_fetched(capsys, tmp_path):
    assert {"csv", "folder", "npz"} <= set(data.names()) and data.entry("folder").kind == "user"
    code, _, err = run_cli(capsys, "data", "fetch", "csv")
    assert code == 2 and "csv reads your own data (data.options.path): nothing to fetch" in err
    for kind, path in (("folder", 5), ("npz", None)):
        with pytest.raises(ValueError, match=f"the {kind} dataset reads your own data: set data.options.path="):
            data.load(kind, path=path)
    with pytest.raises(ValueError, match="val_fraction must be a number"):
        data.load("csv", path=str(_bad_csv(tmp_path, "a,label\n1,x\n2,y\n")), val_fraction="0.1")


def test_a_cnn_refuses_pictures_that_are_not_square(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / "wide" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (8, 6), i * 50).save(tmp_path / "wide" / name / f"{i}.png")
    code, _, err = run_cli(capsys, "train", "mnist-cnn", "--set", "data.name=folder", "--set",
                           f"data.options.path={tmp_path / 'wide'}", "--out", tmp_path / "runs", "--quiet")
    assert code == 2 and "the cnn takes square images (channels, H, H); folder inputs are (1, 6, 8)" in err
    assert "data.options.size=[H, H]" in err
