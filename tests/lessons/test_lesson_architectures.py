"""The architectures lesson: E21 (004:1668-1717) and E57 (002:74-77; 004:2025-2034)."""

from lesson_helpers import claim


def test_the_iris_net_classifies_once_trained(run_lesson):
    e21 = claim(run_lesson("architectures"), "E21")
    assert e21["verdict"] == "holds"
    measured = e21["measured"]
    assert measured["trained_reaching_0.9"] == measured["trained_runs"]
    assert min(measured["trained_test_accuracy"]) >= 0.9
    # Untrained (the seed's printout) the net is no better than guessing: outputs within 0.001 of 1/3.
    assert measured["untrained_accuracy_median"] <= 0.45
    assert measured["untrained_max_prob_deviation_from_third"] < 1e-3


def test_cnn_and_gru_beat_the_mlp_on_their_data(run_lesson):
    record = run_lesson("architectures")
    e57 = claim(record, "E57")
    assert e57["verdict"] == "holds"
    measured = e57["measured"]
    assert measured["shifted_cnn"] - measured["shifted_mlp"] > 0.03
    assert measured["cnn_params"] < measured["mlp_params"]  # the CNN wins with fewer parameters
    assert measured["gru"] >= 0.95 and measured["mlp"] < 0.7  # same 2,000 training sequences
    assert measured["gru_params"] < measured["seq_mlp_params"]
    assert measured["mlp_by_train_size"][-1] > measured["mlp"] + 0.2  # 4x the data lets the MLP catch up
    for figure in e57["figures"]:
        assert (record["out"] / figure).stat().st_size > 0


def test_d19_the_seeds_learning_rates_are_never_read(run_lesson):
    d19 = claim(run_lesson("architectures"), "D19")
    m = d19["measured"]
    assert d19["verdict"] == "fails"
    assert m["feedforward_lr_reads"] == 0 and m["vae_learning_rate_reads"] == 0
    assert m["feedforward_max_output_change"] == 0.0 and m["vae_max_loss_change"] == 0.0
    assert d19["fix"]["verdict"] == "holds" and d19["fix"]["measured"]["test_accuracy_lr_0.01"] >= 0.9


def test_attribute_reads_counts_every_read():
    from neuralab.lessons.architectures import attribute_reads

    class Box:
        def __init__(self):
            self.lr = 0.1

    box = Box()
    assert attribute_reads(box, "lr", lambda b: (b.lr, b.lr, getattr(b, "lr"))) == 3
    assert type(box) is Box  # the object is given back its own class
