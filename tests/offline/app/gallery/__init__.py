"""A small media-search application: the real-library offline tests scan, lock and run it.

Every function loads its models the way the libraries' own documentation shows, by Hub id.
"""

