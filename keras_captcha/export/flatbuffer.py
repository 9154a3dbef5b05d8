"""Reading and shrinking TFLite flatbuffers: the ops a file uses, and `compact`."""

from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

from keras_captcha.core.errors import CaptchaError
from keras_captcha.training import compat

#: Ops no exported file may use: variables and state, custom and delegate ops.
FORBIDDEN_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "CUSTOM", "DELEGATE"}


def list_ops(tflite_bytes):
    """Every builtin op name in every subgraph of a `.tflite` flatbuffer, with counts."""
    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = schema.Model.GetRootAsModel(tflite_bytes, 0)
    codes = [
        names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
        for code in map(model.OperatorCodes, range(model.OperatorCodesLength()))
    ]
    counts = {}
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            name = codes[subgraph.Operators(o).OpcodeIndex()]
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def check_ops(name, ops):
    """Raises `CaptchaError` if a variant uses Flex, custom or variable/state ops."""
    bad = sorted(op for op in ops if op in FORBIDDEN_OPS or op.startswith("Flex"))
    if bad:
        raise CaptchaError(f"export: the {name} TFLite model uses non-builtin or state ops: {bad}")


def compact(tflite_bytes):
    """Shrinks a flatbuffer without changing what it computes.

    Drops tensor names (the signature keeps the input and output names),
    points every tensor without constant data at the shared empty buffer 0,
    and writes identical quantisation tables, option tables and small vectors
    once (flatbuffers allow shared sub-objects; the runtime only reads them).
    The unrolled int8 graph shrinks by about a third.
    """
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
    model.description = None
    used = {0}
    for subgraph in model.subgraphs:
        subgraph.name = None
        for tensor in subgraph.tensors:
            tensor.name = None
            buffer = model.buffers[tensor.buffer]
            if buffer.data is None or len(buffer.data) == 0:
                if not getattr(buffer, "size", 0):
                    tensor.buffer = 0
            used.add(tensor.buffer)
    used.update(entry.buffer for entry in model.metadata or [])
    order = sorted(used)
    renumber = {old: new for new, old in enumerate(order)}
    model.buffers = [model.buffers[i] for i in order]
    for subgraph in model.subgraphs:
        for tensor in subgraph.tensors:
            tensor.buffer = renumber[tensor.buffer]
    for entry in model.metadata or []:
        entry.buffer = renumber[entry.buffer]

    tables = [schema.QuantizationParametersT] + [
        getattr(schema, name) for name in dir(schema)
        if name.endswith("OptionsT") and hasattr(getattr(schema, name), "Pack")
    ]
    with compat.shared_flatbuffer_tables(tables):
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
