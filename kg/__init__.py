"""kg: a knowledge-graph builder for Chinese news (Traditional and Simplified).

>>> import kg
>>> g = kg.build(["OpenAI于2月16日发布了文生视频模型Sora。"])
>>> [str(r.o).rsplit("/", 1)[-1] for r in g.query("SELECT ?o WHERE { ?s kg:released ?o }")]
['Sora']
"""

from kg.api import Options, build, extract, load
from kg.errors import KGError
from kg.graph import KnowledgeGraph
from kg.model import Document

__all__ = ["Document", "KGError", "KnowledgeGraph", "Options", "build", "extract", "load"]
__version__ = "0.1.0"
