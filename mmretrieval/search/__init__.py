"""The one query path: a query -> the vectors that rank -> rankings from the store -> fusion -> relevance -> hits."""
