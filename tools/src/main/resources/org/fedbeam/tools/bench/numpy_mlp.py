"""The NumPy twin of FedBeam's MLP trainer, for `fedbeam bench`.

Same network (input-hidden-classes, ReLU, softmax cross-entropy), same minibatch SGD with
momentum, float32, on the same Fashion-MNIST files. Prints one JSON line with samples/s per epoch.
Usage: python3 numpy_mlp.py DATA_DIR HIDDEN BATCH EPOCHS LR MOMENTUM
"""
import gzip
import json
import sys
import time

import numpy as np


def read_idx(path, header_ints):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=4 * header_ints)


def main():
    data_dir, hidden, batch, epochs, lr, momentum = sys.argv[1:7]
    hidden, batch, epochs, lr, momentum = int(hidden), int(batch), int(epochs), float(lr), float(momentum)
    x = read_idx(f"{data_dir}/train-images-idx3-ubyte.gz", 4).reshape(-1, 784).astype(np.float32) / 255.0
    y = read_idx(f"{data_dir}/train-labels-idx1-ubyte.gz", 2).astype(np.int64)
    n, d, k = x.shape[0], x.shape[1], 10
    rng = np.random.default_rng(42)
    w1 = (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = (rng.standard_normal((hidden, k)) * np.sqrt(1.0 / hidden)).astype(np.float32)
    b2 = np.zeros(k, np.float32)
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    rates = []
    for _ in range(epochs):
        order = rng.permutation(n)
        start = time.perf_counter()
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            xb, yb = x[idx], y[idx]
            m = xb.shape[0]
            z1 = xb @ w1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            dz2 = p
            dz2[np.arange(m), yb] -= 1
            dz2 /= m
            gw2 = a1.T @ dz2
            gb2 = dz2.sum(axis=0)
            da1 = dz2 @ w2.T
            da1[z1 <= 0] = 0
            gw1 = xb.T @ da1
            gb1 = da1.sum(axis=0)
            for p_, v_, g_ in zip(params, velocity, (gw1, gb1, gw2, gb2)):
                v_ *= momentum
                v_ += g_
                p_ -= lr * v_
        rates.append(n / (time.perf_counter() - start))
    print(json.dumps({"numpy": np.__version__, "samples_per_s": rates}))


if __name__ == "__main__":
    main()
