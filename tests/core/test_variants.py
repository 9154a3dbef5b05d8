"""The variant table: one record per exported file, each field one of the known values."""

from keras_captcha.core.variants import CLIENTS, DEFAULT_VARIANT, FORMATS, GRU_FORMS, QUANTIZATIONS, VARIANTS


def test_each_variant_is_one_consistent_record():
    assert DEFAULT_VARIANT in VARIANTS
    assert len({variant.file for variant in VARIANTS.values()}) == len(VARIANTS)
    for name, variant in VARIANTS.items():
        assert variant.name == name
        assert variant.gru in GRU_FORMS
        assert variant.quantization in QUANTIZATIONS
        assert 0 < variant.required_agreement <= 1
        if variant.quantization in ("none", "float16"):
            assert variant.required_agreement == 1.0
        assert variant.file.endswith("." + variant.format)
        assert variant.client in CLIENTS and variant.format in FORMATS
        assert variant.client == "keras_captcha" or variant.format == "onnx"
