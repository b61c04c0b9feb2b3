"""Scoring models as the engine runs them: rule-based points, a learned p(win | customer)
and a learned p(win | customer, rep) (``contract`` says what each one offers; ``load_model``
turns a stored model's params into one). Training lives here too, as pure functions over
examples; services load the examples and keep the versions."""
