"""Queries in other languages: detecting a query's language and the query maps that rank images for it."""
