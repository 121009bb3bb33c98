"""The forecasting pipeline: periods and windows, transforms and scaling, baselines, metrics and
the verdict, the classical models (SARIMA, ridge), and each task's settings and preparation."""
