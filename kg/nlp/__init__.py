"""Natural-language processing: segmentation, entity recognition, coreference."""

#: The default segmenter: jieba-fast (jieba-fast-dat, C++). Same NER F1 on all five dev sets and
#: same FinRE F1 as jieba, DuIE strict F1 46.1 vs 46.2 (one more prediction), the sample graph
#: byte-identical, and ~1.4x the pipeline's throughput (docs/performance.md). Here, not in
#: kg.nlp.tokenizer, so that the command line can name it without importing spaCy.
DEFAULT_SEGMENTER = "jieba-fast"
