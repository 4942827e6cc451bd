"""What every analysis page does first: read the filters, and stop with guidance when there is
nothing to show."""

from __future__ import annotations

import streamlit as st

from gapmodel.core import settings
from gapmodel.views import Filters
from ui import cache, components
from ui.filters import describe
from ui.navigation import page_filters


def start_page(title: str, need_respondents: bool = True) -> tuple[Filters, str]:
    """The page's filters and the caption line that describes them.

    Stops the page, with guidance on screen, when there is no data yet or (``need_respondents``)
    when the filters leave nobody in the chosen wave.
    """
    filters = page_filters()
    if filters is None:
        st.stop()
    caption = describe(filters, cache.demo_data())
    if need_respondents:
        count, smallest = cache.respondent_count(filters), settings.get("suppress_n")
        if count < smallest:
            components.page_header(title, caption)
            components.too_few_selected(count, smallest)
            st.stop()
    return filters, caption
