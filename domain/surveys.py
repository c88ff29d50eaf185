"""The satisfaction surveys: two questions, three answers each. After a certificate is issued
each service asks what its own standard measures: the e-service regulation its appendix 7
survey, a paper standard its indicators 2.1 and 3.1 (satisfaction with the process and with
the information about the procedure); after a complaint is answered, the standards'
indicators 4.3 and 4.4. The answers are stored by these keys."""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog import IndicatorName, Standard, Text

SURVEY_QUESTIONS = (1, 2)
SURVEY_ANSWERS = ("not_satisfied", "partly", "satisfied")
# The indicators a paper standard measures by asking its users, in the order asked.
SURVEYED_INDICATORS = ("2.1", "3.1")


def survey_questions(standard: Standard, indicators: Mapping[str, IndicatorName]) -> list[Text]:
    """The questions asked after ``standard``'s service is issued (one per SURVEY_QUESTIONS)."""
    if standard.survey:
        return [question.text for question in standard.survey]
    measured = {row.code for row in standard.quality}
    return [question for code in SURVEYED_INDICATORS
            if code in measured and (question := indicators[code].question) is not None]
