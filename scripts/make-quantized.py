#!/usr/bin/python3
"""Make a float16 copy and a QDQ-quantized int8 copy of an ONNX model.

Usage:
    make-quantized.py --onnxkit BIN MODEL.onnx INPUT.pb OUTDIR [--name NAME]

Writes OUTDIR/NAME.fp16.onnx and OUTDIR/NAME.int8.onnx (NAME defaults to the
model's file name without .onnx) and OUTDIR/NAME.prep.onnx, the float model
the int8 copy was quantized from. Only python3-onnx (and numpy) is used;
onnxruntime's Python package is not needed.

float16: every float32 initializer and Constant becomes float16; the graph
keeps float32 inputs and outputs through Cast nodes at its edges (as
onnxconverter-common's keep_io_types), so both runtimes are fed the same
float32 tensors.

int8, in onnxruntime's QDQ format with its quantizer's defaults:
  * the model is brought to opset 13 (per-axis QuantizeLinear) and
    BatchNormalization after Conv is folded into the Conv;
  * Conv weights are int8, symmetric, per output channel (scale
    max|w|/127, zero point 0); biases are int32 with scale
    x_scale * w_scale[c], zero point 0;
  * activations are uint8, per tensor, asymmetric, calibrated by min/max
    (widened to include 0) on INPUT: the inputs and outputs of Conv, Add
    (of two activations) and GlobalAveragePool get a
    QuantizeLinear/DequantizeLinear pair, and a Relu that alone reads the
    output of such a node is folded into the pair (its output range starts
    at 0, so the zero point is 0 and QuantizeLinear clamps as Relu does);
  * everything else (Gemm, pooling, HardSigmoid, the detector's box
    decoding...) runs in float32 on the dequantized values.
Calibration runs the prepared float model in onnxkit (`onnxkit run ...
--output NAME=FILE.npy` for every tensor to quantize), since this script
must not need onnxruntime's Python package.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto, version_converter

QOPS = ("Conv", "Add", "GlobalAveragePool")


def load(path):
    m = onnx.load(path)
    # Initializers listed as graph inputs (IR < 4) would be overridable, and
    # runtimes could neither fold nor fuse them.
    inits = {t.name for t in m.graph.initializer}
    keep = [i for i in m.graph.input if i.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    m.ir_version = max(m.ir_version, 7)
    # Identity of an initializer (exporters share equal tensors that way):
    # readers take the initializer itself, so that weights and biases are
    # seen as constants.
    outs = graph_outputs(m.graph)
    alias = {}
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits and n.output[0] not in outs:
            alias[n.output[0]] = n.input[0]
    if alias:
        keep = [n for n in m.graph.node if not (n.op_type == "Identity" and n.output[0] in alias)]
        for n in keep:
            for k, x in enumerate(n.input):
                if x in alias:
                    n.input[k] = alias[x]
        del m.graph.node[:]
        m.graph.node.extend(keep)
    return m


def opset_of(m):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 0


def users(g):
    u = {}
    for n in g.node:
        for i in n.input:
            u.setdefault(i, []).append(n)
    return u


def graph_outputs(g):
    return {o.name for o in g.output}


# ---------------------------------------------------------------- float16

def to_fp16(m):
    g = m.graph
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT:
            a = numpy_helper.to_array(t).astype(np.float16)
            t.CopyFrom(numpy_helper.from_array(a, t.name))
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    v = numpy_helper.to_array(a.t).astype(np.float16)
                    a.t.CopyFrom(numpy_helper.from_array(v, a.t.name))
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    pre, post = [], []
    for i in g.input:
        if i.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        h = i.name + "_fp16"
        for n in g.node:
            for k, x in enumerate(n.input):
                if x == i.name:
                    n.input[k] = h
        pre.append(helper.make_node("Cast", [i.name], [h], to=TensorProto.FLOAT16, name=i.name + "_to_fp16"))
    for o in g.output:
        if o.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        h = o.name + "_fp16"
        for n in g.node:
            for k, x in enumerate(n.output):
                if x == o.name:
                    n.output[k] = h
            for k, x in enumerate(n.input):
                if x == o.name:
                    n.input[k] = h
        post.append(helper.make_node("Cast", [h], [o.name], to=TensorProto.FLOAT, name=o.name + "_to_fp32"))
    nodes = pre + list(g.node) + post
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]
    return m


# ---------------------------------------------------------------- int8

def fold_batchnorm(m):
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    u = users(g)
    outs = graph_outputs(g)
    drop = set()
    for n in g.node:
        if n.op_type != "Conv" or n.output[0] in outs:
            continue
        us = u.get(n.output[0], [])
        if len(us) != 1 or us[0].op_type != "BatchNormalization" or len(us[0].output) != 1:
            continue
        bn = us[0]
        if any(x not in inits for x in bn.input[1:5]) or n.input[1] not in inits:
            continue
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        gamma, beta, mean, var = (numpy_helper.to_array(inits[x]).astype(np.float64) for x in bn.input[1:5])
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
        b = np.zeros(w.shape[0])
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
        k = gamma / np.sqrt(var + eps)
        w = w * k.reshape(-1, *([1] * (w.ndim - 1)))
        b = (b - mean) * k + beta
        wn, bn_name = n.input[1] + "_bnfold", n.output[0] + "_bnfold_bias"
        g.initializer.append(numpy_helper.from_array(w.astype(np.float32), wn))
        g.initializer.append(numpy_helper.from_array(b.astype(np.float32), bn_name))
        while len(n.input) < 3:
            n.input.append("")
        n.input[1], n.input[2] = wn, bn_name
        n.output[0] = bn.output[0]
        drop.add(id(bn))
    keep = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(keep)
    # Drop initializers nothing reads any more.
    used = {x for n in g.node for x in n.input}
    keep_i = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep_i)
    return m


def plan_quantization(m):
    """Returns (tensors to quantize, Relu nodes to fold: {qnode output: relu},
    names of the Conv nodes whose weights to quantize)."""
    g = m.graph
    inits = {t.name for t in g.initializer}
    consts = inits | {o for n in g.node if n.op_type == "Constant" for o in n.output}
    u = users(g)
    outs = graph_outputs(g)
    qt, fold, convs = [], {}, set()

    def add(t):
        if t not in qt:
            qt.append(t)

    for n in g.node:
        if n.op_type not in QOPS:
            continue
        if n.op_type == "Conv" and (n.input[1] not in inits or (len(n.input) > 2 and n.input[2] and n.input[2] not in inits)):
            continue
        if n.op_type == "Add" and (n.input[0] in consts or n.input[1] in consts):
            continue
        acts = [n.input[0]] if n.op_type != "Add" else list(n.input[:2])
        out = n.output[0]
        us = u.get(out, [])
        if out not in outs and len(us) == 1 and us[0].op_type == "Relu" and us[0].output[0] not in outs:
            fold[out] = us[0]
            out = us[0].output[0]
        for a in acts:
            add(a)
        add(out)
        if n.op_type == "Conv":
            convs.add(out)
    return qt, fold, convs


def calibrate(onnxkit, model_path, input_path, input_name, tensors, tmp):
    args = [onnxkit, "run", model_path, "--input", "%s=%s" % (input_name, input_path)]
    files = []
    for i, t in enumerate(tensors):
        f = os.path.join(tmp, "cal%d.npy" % i)
        files.append(f)
        args += ["--output", "%s=%s" % (t, f)]
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("make-quantized: calibration run failed: %s\n%s" % (" ".join(args[:4]), r.stderr))
    ranges = {}
    for t, f in zip(tensors, files):
        a = np.load(f).astype(np.float64)
        ranges[t] = (min(0.0, float(a.min())), max(0.0, float(a.max())))
    return ranges


def annotate_shapes(onnxkit, m, input_path, tmp):
    """Records the shapes of Softmax inputs, which ONNX's version converter
    needs and cannot infer through shapes computed at run time."""
    names = [n.input[0] for n in m.graph.node if n.op_type == "Softmax"]
    if not names:
        return m
    path = os.path.join(tmp, "shapes.onnx")
    onnx.save(m, path)
    args = [onnxkit, "run", path, "--input", "%s=%s" % (m.graph.input[0].name, input_path)]
    for i, t in enumerate(names):
        args += ["--output", "%s=%s" % (t, os.path.join(tmp, "shape%d.npy" % i))]
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("make-quantized: shape run failed:\n%s" % r.stderr)
    for i, t in enumerate(names):
        a = np.load(os.path.join(tmp, "shape%d.npy" % i))
        m.graph.value_info.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, list(a.shape)))
    return m


def act_params(lo, hi):
    """uint8 asymmetric scale and zero point (onnxruntime's compute_scale_zp)."""
    scale = (hi - lo) / 255.0
    if scale == 0:
        scale = 1.0
    zp = int(np.clip(np.rint(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def quantize_model(m, ranges, qt, fold, convs):
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_inits, head, after = [], [], {}  # after: producer output -> nodes to insert after it
    params = {}
    for t in qt:
        s, z = act_params(*ranges[t])
        params[t] = (s, z)
        sn, zn = t + "_scale", t + "_zero_point"
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), sn), numpy_helper.from_array(np.array(z, np.uint8), zn)]
        q = helper.make_node("QuantizeLinear", [t, sn, zn], [t + "_quantized"], name=t + "_QuantizeLinear")
        dq = helper.make_node("DequantizeLinear", [t + "_quantized", sn, zn], [t + "_dequantized"], name=t + "_DequantizeLinear")
        after.setdefault(t, []).extend([q, dq])
    qset = set(qt)
    # Consumers read the dequantized values.
    for n in g.node:
        for k, x in enumerate(n.input):
            if x in qset:
                n.input[k] = x + "_dequantized"
    # Relu folded into the pair after its producer.
    drop = set()
    for n in g.node:
        if n.op_type in QOPS and n.output[0] in fold:
            relu = fold[n.output[0]]
            n.output[0] = relu.output[0]
            drop.add(id(relu))
    # Conv weights (int8, symmetric, per output channel) and biases (int32).
    for n in g.node:
        if n.op_type != "Conv" or n.output[0] not in convs:
            continue
        x = n.input[0][: -len("_dequantized")]
        xs = params[x][0]
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        ws = (amax / 127.0).astype(np.float32)
        ws[ws == 0] = 1.0
        wq = np.clip(np.rint(w / ws.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
        base = n.name or n.output[0]
        wn = base + "_W"
        new_inits += [numpy_helper.from_array(wq, wn + "_quantized"), numpy_helper.from_array(ws, wn + "_scale"),
                      numpy_helper.from_array(np.zeros(w.shape[0], np.int8), wn + "_zero_point")]
        head.append(helper.make_node("DequantizeLinear", [wn + "_quantized", wn + "_scale", wn + "_zero_point"], [wn + "_dequantized"],
                                     axis=0, name=wn + "_DequantizeLinear"))
        n.input[1] = wn + "_dequantized"
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            bs = (np.float32(xs) * ws).astype(np.float32)
            bq = np.rint(b / bs.astype(np.float64)).astype(np.int32)
            bn = base + "_B"
            new_inits += [numpy_helper.from_array(bq, bn + "_quantized"), numpy_helper.from_array(bs, bn + "_scale"),
                          numpy_helper.from_array(np.zeros(w.shape[0], np.int32), bn + "_zero_point")]
            head.append(helper.make_node("DequantizeLinear", [bn + "_quantized", bn + "_scale", bn + "_zero_point"], [bn + "_dequantized"],
                                         axis=0, name=bn + "_DequantizeLinear"))
            n.input[2] = bn + "_dequantized"
    nodes = list(head)
    for i in g.input:
        nodes += after.pop(i.name, [])
    for n in g.node:
        if id(n) in drop:
            continue
        nodes.append(n)
        for o in n.output:
            nodes += after.pop(o, [])
    if after:
        sys.exit("make-quantized: no producer for %s" % sorted(after))
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    used = {x for n in g.node for x in n.input}
    keep_i = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep_i)
    del g.value_info[:]
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnxkit", default="onnxkit", help="onnxkit command used for calibration")
    ap.add_argument("--name")
    ap.add_argument("model")
    ap.add_argument("input", help="calibration input: TensorProto .pb (or .npy) of the model's first input")
    ap.add_argument("outdir")
    a = ap.parse_args()
    name = a.name or os.path.splitext(os.path.basename(a.model))[0]
    os.makedirs(a.outdir, exist_ok=True)

    fp16 = to_fp16(load(a.model))
    onnx.checker.check_model(fp16)
    onnx.save(fp16, os.path.join(a.outdir, name + ".fp16.onnx"))

    m = load(a.model)
    if opset_of(m) < 13:
        with tempfile.TemporaryDirectory() as tmp:
            m = annotate_shapes(a.onnxkit, m, a.input, tmp)
        m = version_converter.convert_version(onnx.shape_inference.infer_shapes(m), 13)
        m.ir_version = max(m.ir_version, 7)
    m = fold_batchnorm(m)
    onnx.checker.check_model(m)
    prep = os.path.join(a.outdir, name + ".prep.onnx")
    onnx.save(m, prep)
    qt, fold, convs = plan_quantization(m)
    with tempfile.TemporaryDirectory() as tmp:
        ranges = calibrate(a.onnxkit, prep, a.input, m.graph.input[0].name, qt, tmp)
    q = quantize_model(m, ranges, qt, fold, convs)
    onnx.checker.check_model(q)
    onnx.save(q, os.path.join(a.outdir, name + ".int8.onnx"))
    print("%s: float16 and int8 (%d tensors quantized, %d Relu folded) in %s" % (name, len(qt), len(fold), a.outdir))


if __name__ == "__main__":
    main()
