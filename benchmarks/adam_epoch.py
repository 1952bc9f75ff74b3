"""Adam, one epoch of mini-batches on the 64-32-10 MLP: optbench against NumPy and PyTorch.

    python benchmarks/adam_epoch.py                  # batches of 32 and 128, 1 thread
    python benchmarks/adam_epoch.py --batch 64 --epochs 5

The network and data are section 3b of benchmarks/compare.py (64-32-10, tanh, softmax
cross-entropy, the digits shape: 1797 samples; scikit-learn's digits when installed, else
random data of that shape), float64. One epoch = the samples in a shuffled order
(``np.random.RandomState(seed)``, the order optbench's solvers draw), in mini-batches, one Adam
step (Kingma & Ba, algorithm 1; lr 1e-3, 0.9, 0.999, 1e-8) per batch:

  optbench   ``optbench.solvers.adaptive.adam`` on the ``mlp`` problem's compiled oracle; per
             epoch also the full f and gradient for the table (one more pass over the data);
  NumPy      forward and backward with BLAS products per batch, Adam with in-place array
             operations; timed without and with that full f and gradient per epoch;
  PyTorch    autograd and ``torch.optim.Adam`` (float64, the same batches), when installed;
  sgd        optbench's ``sgd`` on the same batches: what the epoch costs without Adam's update
             (the ``mlp`` problem's batch gradient takes BLAS products from 256 samples x
             parameters on, per-sample loops below: problems/mlp.py, BLAS_MIN_WORK).

Times are minima over rounds (compare.py's ``best``); optbench's per-epoch time excludes its
per-run set-up ((t_K - t_0) / K). BLAS, numba and PyTorch run on one thread. The iterates of
optbench and NumPy after two epochs are compared (printed: they differ by rounding only).
"""

from __future__ import annotations

import argparse
import sys

import numba
import numpy as np
from threadpoolctl import threadpool_limits

import optbench

if __package__:  # imported by asv's discovery
    from . import baselines as bl
    from .compare import best, describe, digits_data, fmt, gd_control, per_iteration, table
else:  # run as a script
    import baselines as bl
    from compare import best, describe, digits_data, fmt, gd_control, per_iteration, table

LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8
SEED = 0
SIZES = (64, 32, 10)


def numpy_gradient(x, G, Xb, Tb, loss=False):
    """Mean softmax cross-entropy of the batch (when ``loss``); its gradient into G."""
    return bl.numpy_mlp_gradient(x, G, Xb, Tb, SIZES, loss)


class NumpyAdam:
    """Adam in NumPy on the flat parameter vector, the epochs' orders as optbench's."""

    def __init__(self, x0, X, T, batch, full_eval):
        self.x, self.X, self.T, self.batch, self.full = x0.copy(), X, T, batch, full_eval
        n = x0.shape[0]
        self.m, self.v, self.G, self.tmp = np.zeros(n), np.zeros(n), np.empty(n), np.empty(n)
        self.t = 0
        self.rs = np.random.RandomState(SEED)
        self.order = np.arange(X.shape[0])

    def epoch(self):
        x, m, v, G, tmp = self.x, self.m, self.v, self.G, self.tmp
        self.rs.shuffle(self.order)
        for start in range(0, self.X.shape[0], self.batch):
            idx = self.order[start:start + self.batch]
            numpy_gradient(x, G, self.X[idx], self.T[idx])
            self.t += 1
            m *= BETA1
            m += (1 - BETA1) * G
            v *= BETA2
            np.multiply(G, G, out=tmp)
            tmp *= 1 - BETA2
            v += tmp
            np.sqrt(v / (1 - BETA2 ** self.t), out=tmp)
            tmp += EPS
            np.divide(m, tmp, out=tmp)
            tmp *= LR / (1 - BETA1 ** self.t)
            x -= tmp
        if self.full:  # the full f and gradient optbench records after each epoch
            return numpy_gradient(x, G, self.X, self.T, loss=True)
        return None


def torch_adam_epoch(torch, x0, X, T, batch):
    """A function doing one epoch of torch.optim.Adam on the same batches (float64)."""
    params = []
    for W, b in bl.unpack_mlp(x0.copy(), SIZES):
        params += [torch.tensor(W.copy(), requires_grad=True),
                   torch.tensor(b.copy(), requires_grad=True)]
    opt = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS)
    Xt, labels = torch.tensor(X), torch.tensor(T.argmax(axis=1))
    rs, order = np.random.RandomState(SEED), np.arange(X.shape[0])

    def epoch():
        rs.shuffle(order)
        for start in range(0, X.shape[0], batch):
            idx = torch.from_numpy(order[start:start + batch])
            a = Xt[idx]
            for k in range(0, len(params) - 2, 2):
                a = torch.tanh(a @ params[k].T + params[k + 1])
            loss = torch.nn.functional.cross_entropy(a @ params[-2].T + params[-1],
                                                     labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def measure(batch, epochs, torch):
    X, T, source = digits_data()
    mlp = sys.modules[optbench.registry.get_family("mlp").build.__module__]
    oracle = mlp.make_oracle(X, T, SIZES, mlp.TANH, mlp.SOFTMAX_CE, 0.0, X.shape[0])
    x0 = mlp.init_weights(SIZES, "glorot", np.random.default_rng(0))
    adam = optbench.get_solver("adam").entry
    m = X.shape[0]

    def run(k):
        return adam(oracle, x0, m, batch, LR, 0.0, BETA1, BETA2, EPS, 0.0, False, SEED,
                    gd_control(k))

    opt = per_iteration(run, epochs)
    sgd = optbench.get_solver("sgd").entry
    plain = per_iteration(lambda k: sgd(oracle, x0, m, batch, LR, 0.0, 0.0, SEED,
                                        gd_control(k)), epochs)
    ref = NumpyAdam(x0, X, T, batch, full_eval=False)
    ref.epoch()
    ref.epoch()
    diff = np.abs(run(2)[0] - ref.x).max()
    bare = NumpyAdam(x0, X, T, batch, full_eval=False)
    full = NumpyAdam(x0, X, T, batch, full_eval=True)
    steps = -(-m // batch)
    rows = [(f"optbench adam, batch {batch}", opt,
             f"{source}; {steps} steps per epoch + the full f, grad f for the table"),
            ("NumPy (BLAS) + Adam in array operations", best(bare.epoch),
             f"same iterates: max |dx| {diff:.1e} after 2 epochs"),
            ("optbench sgd, same batches", plain,
             "the same epoch with sgd's update: the rest is the batches' gradients"),
            ("NumPy, + the full f and grad f per epoch", best(full.epoch),
             "what optbench's epoch also computes")]
    if torch is not None:
        rows.append(("PyTorch autograd + torch.optim.Adam (float64)",
                     best(torch_adam_epoch(torch, x0, X, T, batch)), ""))
    else:
        rows.append(("PyTorch", None, "not installed"))
    table(f"Adam on the MLP 64-32-10 (tanh, softmax CE), one epoch, batches of {batch}, "
          "1 thread", rows, f"optbench adam, batch {batch}")
    return {name: seconds for name, seconds, _ in rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batch", default="32,128", help="batch sizes, comma-separated")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per timed run of optbench (default 3)")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batch.split(",") if b.strip()]
    if not batches or min(batches) < 1 or args.epochs < 1:
        parser.error("--batch takes positive integers, --epochs a positive integer")
    torch = bl.optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
    import scipy.linalg.cython_blas  # noqa: F401  (load every BLAS before limiting threads)
    with threadpool_limits(1):
        describe(torch, None, False)
        numba.set_num_threads(1)
        print(f"PyTorch: {torch.__version__ + ', 1 thread' if torch else 'not installed'}")
        results = {b: measure(b, args.epochs, torch) for b in batches}
    print("\n## Summary: other / optbench per epoch")
    for b, res in results.items():
        opt = res[f"optbench adam, batch {b}"]
        print(f"batch {b}: optbench {fmt(opt)} per epoch")
        for name, seconds in res.items():
            if not name.startswith("optbench"):
                ratio = "n/a" if seconds is None else f"{seconds / opt:.2f}"
                print(f"  {name}: {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
