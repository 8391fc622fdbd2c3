"""Rapport's built-in connectors (X/Twitter, Mastodon, LinkedIn).

Each subpackage registers through the `rapport.connectors` entry-point group exactly as a
third-party package does; this package only gives them a top-level name that is Rapport's own.
"""
