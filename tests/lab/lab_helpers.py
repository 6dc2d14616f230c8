"""What the lab tests share besides fixtures: the token, a TF Playground link, a tiny CSV.

(Its own module, not conftest.py: several test folders have a conftest, so ``from conftest
import ...`` could find another folder's.)
"""

from __future__ import annotations

TOKEN = "test-token-of-the-lab"
BASE_URL = "http://127.0.0.1:8765"

# A TensorFlow Playground link's hash, keys as TF writes them (its UI-only keys included):
# the spiral with x1, x2, x1^2, x2^2, x1*x2, sin x1, sin x2 into 8,8 tanh. Data seed 1: measured
# over data seeds 1-5 and 0.28106 (weights seed 0), 1-5 pass test loss 0.1 within 2,000-5,000
# steps; 0.28106 overfits and stays at 0.11 (train 0.03) through 15,000 steps.
SPIRAL_HASH = ("#activation=tanh&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03"
               "&regularizationRate=0&noise=0&networkShape=8,8&seed=1&showTestData=false"
               "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=true&xSquared=true&ySquared=true"
               "&cosX=false&sinX=true&cosY=false&sinY=true&collectStats=false&problem=classification"
               "&initZero=false&hideText=false")


def csv_of_two_blobs(rows: int = 60) -> str:
    """Two well-separated clusters: a header, then x1,x2,label lines."""
    lines = ["x1,x2,label"]
    for k in range(rows):
        side = 1 if k % 2 else -1
        lines.append(f"{side * 2 + 0.1 * (k % 7):.3f},{side * 2 - 0.1 * (k % 5):.3f},{int(side > 0)}")
    return "\n".join(lines) + "\n"


