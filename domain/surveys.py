"""The satisfaction surveys: two questions, three answers each (e-service regulation,
appendix 7, after a certificate is issued; the standards' indicators 4.3 and 4.4 after a
complaint is answered). The answers are stored by these keys."""

from __future__ import annotations

SURVEY_QUESTIONS = (1, 2)
SURVEY_ANSWERS = ("not_satisfied", "partly", "satisfied")
