"""Plumbing nobody needs to step into: the command line, bad-input errors, paths and run-time set-up."""
