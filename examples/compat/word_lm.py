"""A word-level LSTM language model (in the style of PyTorch's word_language_model example, shrunk).

The text file is split by lines into train / valid / test (80 / 10 / 10), each line ends
with an ``<eos>`` token, words are whitespace-separated, and words not seen in training
become ``<unk>``.  The train stream is cut into ``batch_size`` columns; truncated
backpropagation through time runs over ``bptt`` steps with the hidden state carried
(detached) from one chunk to the next.  Plain SGD, gradient clipping, learning rate
divided by 4 whenever the validation loss stops improving; the model with the best
validation loss is written with ``torch.save`` and read back with ``torch.load`` for the
final test.

    python word_lm.py --data ~/.cache/neuralab/shakespeare/shakespeare.txt --lines 4000 --epochs 2
"""

import argparse
import math
import os
import tempfile
import time

import torch
import torch.nn as nn


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus:
    def __init__(self, path, max_lines):
        with open(path, encoding="utf8") as f:
            lines = [line for line in f.read().splitlines() if line.strip()][:max_lines]
        cut1, cut2 = int(0.8 * len(lines)), int(0.9 * len(lines))
        self.dictionary = Dictionary()
        self.dictionary.add_word("<unk>")
        for line in lines[:cut1]:
            for word in line.split() + ["<eos>"]:
                self.dictionary.add_word(word)
        self.train = self.tokenize(lines[:cut1])
        self.valid = self.tokenize(lines[cut1:cut2])
        self.test = self.tokenize(lines[cut2:])

    def tokenize(self, lines):
        unk = self.dictionary.word2idx["<unk>"]
        ids = [self.dictionary.word2idx.get(word, unk) for line in lines for word in line.split() + ["<eos>"]]
        return torch.tensor(ids, dtype=torch.long)


class RNNModel(nn.Module):
    """Embedding -> dropout -> LSTM -> dropout -> Linear decoder over the vocabulary."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers = nlayers
        self.nhid = nhid
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz, device):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous().to(device)


def repackage_hidden(h):
    """Cut the graph between chunks: the state carries on, its history does not."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, criterion, data_source, eval_batch_size, bptt):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train_epoch(model, criterion, train_data, lr, args, epoch):
    model.train()
    total_loss = 0.0
    start_time = time.time()
    hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i, args.bptt)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            elapsed = time.time() - start_time
            print(f"| epoch {epoch:3d} | {batch:5d}/{len(train_data) // args.bptt:5d} batches | lr {lr:02.2f} "
                  f"| ms/batch {elapsed * 1000 / args.log_interval:5.2f} | loss {cur_loss:5.2f} "
                  f"| ppl {math.exp(cur_loss):8.2f}")
            total_loss = 0.0
            start_time = time.time()


def main():
    parser = argparse.ArgumentParser(description="Word-level LSTM language model")
    parser.add_argument("--data", default=os.path.expanduser("~/.cache/neuralab/shakespeare/shakespeare.txt"))
    parser.add_argument("--lines", type=int, default=20000, help="use the first N non-empty lines")
    parser.add_argument("--emsize", type=int, default=64)
    parser.add_argument("--nhid", type=int, default=64)
    parser.add_argument("--nlayers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=20.0)
    parser.add_argument("--clip", type=float, default=0.25)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--bptt", type=int, default=35)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1111)
    parser.add_argument("--log-interval", type=int, default=50)
    parser.add_argument("--save", default=os.path.join(tempfile.gettempdir(), "word_lm_model.pt"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    corpus = Corpus(args.data, args.lines)
    eval_batch_size = 10
    train_data = batchify(corpus.train, args.batch_size, device)
    val_data = batchify(corpus.valid, eval_batch_size, device)
    test_data = batchify(corpus.test, eval_batch_size, device)
    print(f"vocabulary {len(corpus.dictionary)} words, {len(corpus.train)} training tokens")

    ntokens = len(corpus.dictionary)
    model = RNNModel(ntokens, args.emsize, args.nhid, args.nlayers, args.dropout).to(device)
    criterion = nn.NLLLoss()

    lr = args.lr
    best_val_loss = None
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train_epoch(model, criterion, train_data, lr, args, epoch)
        val_loss = evaluate(model, criterion, val_data, eval_batch_size, args.bptt)
        print("-" * 89)
        print(f"| end of epoch {epoch:3d} | time: {time.time() - epoch_start_time:5.2f}s | "
              f"valid loss {val_loss:5.2f} | valid ppl {math.exp(val_loss):8.2f}")
        print("-" * 89)
        if best_val_loss is None or val_loss < best_val_loss:
            torch.save(model.state_dict(), args.save)
            best_val_loss = val_loss
        else:
            lr /= 4.0  # anneal when validation stops improving

    model.load_state_dict(torch.load(args.save, map_location=device, weights_only=True))
    test_loss = evaluate(model, criterion, test_data, eval_batch_size, args.bptt)
    print("=" * 89)
    print(f"| End of training | best valid loss {best_val_loss:5.3f} | test loss {test_loss:5.3f} "
          f"| test ppl {math.exp(test_loss):8.2f}")
    print("=" * 89)


if __name__ == "__main__":
    main()
