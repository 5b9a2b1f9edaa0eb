"""Tables cached between runs (kg.cache): made once, made again when what they derive from changes,
never a different result than making them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from kg.cache import cache_dir, cached


def _counting(value):
    calls = []

    def make():
        calls.append(1)
        return value

    return make, calls


def test_a_table_is_made_once_then_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    source, code = tmp_path / "dict.txt", tmp_path / "maker.py"
    source.write_text("中国电信 10 nt\n", encoding="utf-8")
    code.write_text("# v1\n")
    make, calls = _counting({"中国电信": "nt"})
    for _ in range(3):
        assert cached("t", make, reads=[source], code=[code]) == {"中国电信": "nt"}
    assert len(calls) == 1
    assert len(list((tmp_path / "cache").glob("t-*.pickle"))) == 1


def test_a_change_to_what_it_derives_from_makes_it_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    source, code = tmp_path / "dict.txt", tmp_path / "maker.py"
    source.write_text("a 1 n\n")
    code.write_text("# v1\n")
    make, calls = _counting(1)
    cached("t", make, reads=[source], code=[code])
    source.write_text("a 1 n\nb 2 v\n")  # the dictionary changed
    cached("t", make, reads=[source], code=[code])
    os.utime(source, ns=(1, 1))  # same size, another time
    cached("t", make, reads=[source], code=[code])
    code.write_text("# v2\n")  # the code that makes it changed
    cached("t", make, reads=[source], code=[code])
    assert len(calls) == 4
    assert len(list((tmp_path / "cache").glob("t-*.pickle"))) == 1  # the older tables are gone


def test_off_a_damaged_file_or_an_unwritable_directory_still_give_the_table(tmp_path, monkeypatch):
    source = tmp_path / "dict.txt"
    source.write_text("a 1 n\n")
    monkeypatch.setenv("KG_CACHE_DIR", "off")
    assert cache_dir() is None
    make, calls = _counting([1, 2])
    assert cached("t", make, reads=[source], code=[]) == [1, 2]
    assert cached("t", make, reads=[source], code=[]) == [1, 2] and len(calls) == 2

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    cached("t", make, reads=[source], code=[])
    (table,) = (tmp_path / "cache").glob("t-*.pickle")
    table.write_bytes(b"not a pickle")
    assert cached("t", make, reads=[source], code=[]) == [1, 2] and len(calls) == 4
    assert cached("t", make, reads=[source], code=[]) == [1, 2] and len(calls) == 4  # written again, whole

    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("KG_CACHE_DIR", str(blocked / "cache"))  # under a file: cannot be made
    assert cached("t", make, reads=[source], code=[]) == [1, 2] and len(calls) == 5


def test_default_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("KG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "kg"


def test_cached_lexicon_tables_are_the_tables_made_from_the_dictionary(tmp_path, monkeypatch):
    """What the CRF and the patterns read from the cache is what they would make (a second
    process: the tables are loaded, not made)."""
    import subprocess
    import sys

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    script = (
        "import pickle, sys\n"
        "from kg.nlp import crf, pipeline\n"
        "mentions = pipeline.make_nlp((), True).get_pipe('kg_mentions')\n"
        "model = mentions.crf._compiled\n"
        "words = (vars(model.words), model.word_rows)\n"
        "arrays = {k: v for k, v in vars(model).items() if hasattr(v, 'shape')}\n"
        "pickle.dump((crf.lexicon(), crf._lexicon_prefixes, mentions.tags, vars(model.clues.lexicon), words, arrays), sys.stdout.buffer)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, env=os.environ).stdout
            for _ in range(2)]
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 4
    import pickle

    from kg.nlp import crf, crfvec, pipeline

    made = [pickle.loads(run) for run in runs]
    lexicon, prefixes = crf._read_lexicon(crf._jieba_dict())
    word_tags = pipeline._read_word_tags(Path(tags_file()))
    kinds = sorted(set(lexicon.values()))
    fresh = vars(crfvec.lexicon_table(lexicon, kinds))
    model = crfvec.CompiledCRF(*crfvec.read_model(crf.default_model_path()))  # made here, not from the cache
    fresh_words, fresh_rows = model._word_table()
    fresh_arrays = {k: v for k, v in vars(model).items() if hasattr(v, "shape")}
    for lex, pre, tags, table, (words, rows), arrays in made:
        assert arrays.keys() == fresh_arrays.keys() and {"W", "T", "wt", "cls"} <= arrays.keys()
        assert all(np.array_equal(arrays[k], v) for k, v in fresh_arrays.items())
        assert lex == lexicon and pre == prefixes
        assert tags == word_tags
        for got, want in ((table, fresh), (words, vars(fresh_words))):
            assert got.keys() == want.keys()
            for key, value in want.items():
                assert np.array_equal(got[key], value) if isinstance(value, np.ndarray) else got[key] == value
        assert np.array_equal(rows, fresh_rows)


def tags_file() -> str:
    from kg.nlp.tokenizer import new_jieba

    with new_jieba().get_dict_file() as f:
        return f.name


def test_word_tags_look_up_as_the_dict_they_are_made_from():
    import pickle

    from kg.nlp.pipeline import WordTags

    source = {"公司": "n", "腾讯": "nz", "腾讯控股": "nt", "减持": "v", "A股": "j", "Z": "x", "中": "f"}
    tags = pickle.loads(pickle.dumps(WordTags(source)))  # as the cache gives it back
    assert tags == source and dict(tags.items()) == source and len(tags) == len(source)
    for word in [*source, "腾", "腾讯控", "腾讯控股有限公司", "", "a", "ZZ", "\uffff"]:
        for _ in range(2):  # the second time from the process's memo
            assert tags.get(word) == source.get(word)
            assert tags.get(word, "-") == source.get(word, "-")
            assert (word in tags) == (word in source)
    with pytest.raises(KeyError):
        tags["腾"]
    assert WordTags({}).get("公司") is None and not WordTags({})
