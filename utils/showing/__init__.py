"""Showing results: plots, gate tables and figures, and printed tables of periods and scores."""
