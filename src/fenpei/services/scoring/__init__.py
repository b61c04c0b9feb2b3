"""Scoring (评分) and smart routing's models: versions kept and switched (``models``),
customers scored and graded on every change (``rescore``), models trained and evaluated on
the history (``training``)."""
