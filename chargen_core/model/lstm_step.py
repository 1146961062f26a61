"""Numpy port of the Keras LSTM models: one cheap step per character and batched prompt priming.

Generation runs on these, not on Keras: a batch-1 step is a few small matrix products, far cheaper than a
Keras call, and a stream owns its state so several can run at once."""
from __future__ import annotations

import numpy as np

# Prompt ids processed per priming chunk: bounds memory (chunk × 4·units floats) for 100k-char prompts.
PRIME_CHUNK = 4096


def _gate_layout(units: int) -> tuple[np.ndarray, np.ndarray]:
    """Column order o,i,f,g (Keras stores i,f,g,o) and a 0.5 scale on the sigmoid gates.

    sigmoid(x) = 0.5·tanh(x/2) + 0.5, so with o,i,f columns pre-scaled by 0.5 one np.tanh over all
    4·units pre-activations yields every gate; o,i,f are contiguous so the affine fix-up is one slice,
    and [i, f] sits next to [g, c] (see Cell) so both products of the cell update are one multiply.
    """
    u = units
    order = np.concatenate([np.arange(3 * u, 4 * u), np.arange(0, 3 * u)])
    scale = np.concatenate([np.full(3 * u, 0.5), np.ones(u)]).astype(np.float32)
    return order, scale


def _prep(matrix: np.ndarray, order: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(matrix, np.float32)[..., order] * scale)


def split_weights(weights: list[np.ndarray], layers: int) -> tuple:
    """(embedding, [(kernel, recurrent, bias) per layer], dense kernel, dense bias) from model.get_weights()."""
    expected = 1 + 3 * layers + 2
    if len(weights) != expected:
        raise ValueError(f"expected {expected} weight arrays for {layers} LSTM layer(s), got {len(weights)}")
    cells = [tuple(weights[1 + 3 * i: 4 + 3 * i]) for i in range(layers)]
    return weights[0], cells, weights[-2], weights[-1]


class Cell:
    """One layer's cell for a batch: a buffer [o | i | f | g | c] (B, 5u) whose first 4u are the
    pre-activations and last u the cell state, with its views made once (making views costs)."""

    def __init__(self, batch: int, units: int):
        u = units
        self.buf = np.zeros((batch, 5 * u), np.float32)
        self.prod = np.empty((batch, 2 * u), np.float32)
        self.tmp = np.empty((batch, u), np.float32)
        b = self.buf
        self.z, self.c = b[:, : 4 * u], b[:, 4 * u:]
        self._views = (b[:, : 3 * u], b[:, :u], b[:, u: 3 * u], b[:, 3 * u:], self.prod[:, :u], self.prod[:, u:])

    def update(self, h: np.ndarray) -> None:
        """In place: pre-activations in self.z -> new self.c and h (B, u); seven numpy calls."""
        oif, o, i_f, g_c, ig, fc = self._views
        np.tanh(self.z, out=self.z)
        oif *= 0.5  # 0.5·tanh(x/2) + 0.5 == sigmoid(x): the columns were pre-scaled by 0.5
        oif += 0.5
        np.multiply(i_f, g_c, out=self.prod)  # [i·g, f·c]
        np.add(ig, fc, out=self.c)
        np.tanh(self.c, out=self.tmp)
        np.multiply(o, self.tmp, out=h)


class LstmStack:
    """Weights of Embedding → N×LSTM → Dense(logits), laid out for fast stepping; immutable once built.

    The embedding, first kernel and first bias fold into one (vocab × 4u) table, so the input matmul of
    layer 0 is a row lookup. Each layer's h, with a constant 1 appended, multiplies one fused matrix
    [recurrent | next input] whose last row holds the next layer's (or the logits') bias, so a step needs
    one BLAS call per layer and no bias adds: the recurrent part is kept for the next step.
    """

    def __init__(self, weights: list[np.ndarray], layers: int, *, fuse: bool = True, mask_id: int | None = None):
        emb, cells, dense_k, dense_b = split_weights(weights, layers)
        self.layers = layers
        self.units = u = int(cells[0][1].shape[0])
        self.vocab_size = int(dense_k.shape[1])
        order, scale = _gate_layout(u)
        kernel0, _, bias0 = cells[0]
        self.table = _prep(np.asarray(emb, np.float32) @ np.asarray(kernel0, np.float32) + bias0, order, scale)
        self.recurrent = [_prep(rk, order, scale) for _, rk, _ in cells]
        self.kernels = [None] + [_prep(k, order, scale) for k, _, _ in cells[1:]]
        self.biases = [None] + [_prep(b, order, scale) for _, _, b in cells[1:]]
        self.dense_k = np.array(dense_k, np.float32)  # copies: the caller's arrays may change later
        self.dense_b = np.array(dense_b, np.float32)
        if mask_id is not None:
            self.dense_b[mask_id] = -np.inf  # that id gets probability 0 with no per-step work
        nxt = [*self.kernels[1:], self.dense_k]
        nxt_bias = [*self.biases[1:], self.dense_b]
        self.fused = [
            np.concatenate([np.concatenate([r, n], axis=1), np.concatenate([np.zeros(4 * u, np.float32), b])[None]])
            for r, n, b in zip(self.recurrent, nxt, nxt_bias)
        ] if fuse else []

    def run_layer(self, layer: int, x: np.ndarray, h: np.ndarray, cell: Cell, out: np.ndarray | None) -> None:
        """Scan one layer over x (T, 4u) input pre-activations, updating h (1, u) and the cell; hs into out."""
        rec, z = self.recurrent[layer], cell.z
        for t in range(x.shape[0]):
            np.matmul(h, rec, out=z)
            z += x[t]
            cell.update(h)
            if out is not None:
                out[t] = h[0]

    def new_state(self, batch: int) -> "LstmState":
        return LstmState(self, batch)


class LstmState:
    """Per-row recurrent state of an LstmStack: h, c and the fused products kept for the next step."""

    def __init__(self, stack: LstmStack, batch: int):
        u, self.stack, self.batch = stack.units, stack, batch
        # h with a constant 1 appended (the bias row of the fused matrix); self.h are views of the first u.
        self.h1 = [np.zeros((batch, u + 1), np.float32) for _ in range(stack.layers)]
        for h1 in self.h1:
            h1[:, u] = 1.0
        self.h = [h1[:, :u] for h1 in self.h1]
        self.cells = [Cell(batch, u) for _ in range(stack.layers)]
        self.y = [np.zeros((batch, f.shape[1]), np.float32) for f in stack.fused]
        self._rec = [y[:, : 4 * u] for y in self.y]
        self._next = [y[:, 4 * u:] for y in self.y]
        self.logits = self._next[-1]  # a view: the last fused product is the logits

    def prime(self, ids: np.ndarray) -> np.ndarray:
        """Feed a prompt (1-D ids) from zero state at batch 1; return the next-char logits (1, V)."""
        assert self.batch == 1 and len(ids) > 0
        s = self.stack
        for start in range(0, len(ids), PRIME_CHUNK):
            chunk = ids[start: start + PRIME_CHUNK]
            x = s.table[chunk]  # a fresh (T, 4u) array: the scan writes into it
            for layer in range(s.layers):
                last = layer == s.layers - 1
                hs = None if last else np.empty((len(chunk), s.units), np.float32)
                s.run_layer(layer, x, self.h[layer], self.cells[layer], hs)
                if not last:
                    x = hs @ s.kernels[layer + 1]
                    x += s.biases[layer + 1]
        for layer in range(s.layers):
            np.matmul(self.h1[layer], s.fused[layer], out=self.y[layer])
        return self.logits

    def step(self, ids: np.ndarray) -> np.ndarray:
        """Advance every row by one char (ids: (B,) ints); return the logits (B, V), a reused buffer."""
        s, cells = self.stack, self.cells
        z = cells[0].z
        if self.batch == 1:
            np.add(self._rec[0], s.table[ids[0]], out=z)
        else:
            np.take(s.table, ids, axis=0, out=z)
            z += self._rec[0]
        for layer in range(s.layers):
            if layer:
                np.add(self._rec[layer], self._next[layer - 1], out=cells[layer].z)
            cells[layer].update(self.h[layer])
            np.matmul(self.h1[layer], s.fused[layer], out=self.y[layer])
        return self.logits

    def tile(self, batch: int) -> "LstmState":
        """A new state with every row a copy of row 0 (prime once, then branch)."""
        other = LstmState(self.stack, batch)
        for mine, theirs in zip(self._rows(), other._rows()):
            theirs[:] = mine[0]
        return other

    def reorder(self, rows: slice, parents: np.ndarray) -> None:
        """Rows in `rows` take the state of rows[parents] (beam search picks its survivors)."""
        for arr in self._rows():
            arr[rows] = arr[rows][parents]

    def row(self, index: int) -> "LstmState":
        """A batch-1 copy of one row (beam search hands its best hypothesis back to the stream)."""
        other = LstmState(self.stack, 1)
        for mine, theirs in zip(self._rows(), other._rows()):
            theirs[0] = mine[index]
        return other

    def _rows(self) -> list[np.ndarray]:
        """Every per-row state array (c lives in each cell's buffer)."""
        return self.h1 + [cell.c for cell in self.cells] + self.y


class SeedWindowModel:
    """The tutorial's window model (Embedding → LSTM(return_sequences) → Flatten → Dense) in numpy.

    It has no carried state: every character re-runs the LSTM over the last `window` ids, as the tutorial did.
    """

    def __init__(self, weights: list[np.ndarray], window: int, mask_id: int | None = None):
        self.window = window
        # Same layout as LstmStack; the dense kernel is (window·u, V), so nothing is fused.
        self.stack = LstmStack(weights, 1, fuse=False, mask_id=mask_id)
        self.units = self.stack.units
        self.vocab_size = self.stack.vocab_size

    def logits(self, windows: np.ndarray) -> np.ndarray:
        """Logits (B, V) for windows (B, window) of ids."""
        s, u = self.stack, self.units
        batch = windows.shape[0]
        x = s.table[windows]  # (B, W, 4u) scratch
        h = np.zeros((batch, u), np.float32)
        hs = np.empty((batch, self.window, u), np.float32)
        cell = Cell(batch, u)
        for t in range(self.window):
            np.matmul(h, s.recurrent[0], out=cell.z)
            cell.z += x[:, t]
            cell.update(h)
            hs[:, t] = h
        out = hs.reshape(batch, -1) @ s.dense_k
        out += s.dense_b
        return out

    def new_state(self, batch: int) -> "SeedState":
        return SeedState(self, batch)


class SeedState:
    """Rows of id windows for the window model, with the same interface as LstmState."""

    def __init__(self, model: SeedWindowModel, batch: int):
        self.model, self.batch = model, batch
        self.windows = np.zeros((batch, model.window), np.int32)  # id 0 pads short prompts on the left

    def prime(self, ids: np.ndarray) -> np.ndarray:
        tail = ids[-self.model.window:]
        self.windows[0, :] = 0
        self.windows[0, self.model.window - len(tail):] = tail
        return self.model.logits(self.windows)

    def step(self, ids: np.ndarray) -> np.ndarray:
        self.windows[:, :-1] = self.windows[:, 1:]
        self.windows[:, -1] = ids
        return self.model.logits(self.windows)

    def tile(self, batch: int) -> "SeedState":
        other = SeedState(self.model, batch)
        other.windows[:] = self.windows[0]
        return other

    def reorder(self, rows: slice, parents: np.ndarray) -> None:
        self.windows[rows] = self.windows[rows][parents]

    def row(self, index: int) -> "SeedState":
        other = SeedState(self.model, 1)
        other.windows[0] = self.windows[index]
        return other
