"""GraphSIEM: graph-based security event correlation.

Layers (imports point down only)::

    graphsiem.cli, graphsiem.api, web page       (top: compose the rest)
    ingest (parsers, pipeline)   analytics (features, clusters, scoring)
    graphsiem.store (GraphStore: networkx | Neo4j)
    graphsiem.model (events, entities, relations; no I/O)
"""

__version__ = "0.1.0"
