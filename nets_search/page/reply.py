""""Did this answer your question?": the reader's reply, stored (masked) within per-source limits, then the thanks
and, after "No", the next step the editors chose."""

from __future__ import annotations

import streamlit as st

from nets_search.evaluate.golden_file import question_key
from nets_search.page.announce import MOVED
from nets_search.page.cards import heading_html, next_step_html, note_html
from nets_search.page.feedback import FeedbackStore
from nets_search.page.process_state import Limit
from nets_search.page.setup import PageConfig, client_source, load_page_settings, show_small
from nets_search.types import SearchResponse

FEEDBACK_HEADING = "Did this answer your question?"
THANKS = "Thank you: your reply helps us improve our information."
FEEDBACK_NOTICE = ("If you reply, we store your question (with numbers, e-mail addresses and dates masked), the "
                   "passages shown and your reply, to improve our information. Please do not type your name or other "
                   "personal details in a question.")
REPLIES_PER_MINUTE = 5  # per source address (page_setup.client_source): more is a script, not a reader
REPLIES_PER_DAY = 100  # per source address, so no one source can use up the store's daily cap (MAX_ROWS_PER_DAY)
# Per source, not per browser session (a script opens new sessions at will); kept for the process, where Streamlit's
# "clear cache" does not reach.
REPLY_LIMITS = (Limit(REPLIES_PER_MINUTE, 60), Limit(REPLIES_PER_DAY, 24 * 3600))


def _reply(config: PageConfig, question: str, passage_ids: tuple[str, ...], answered: bool) -> None:
    """Store a reply if its source is within the limits; the reader is thanked either way."""
    source = client_source(config.trusted_proxies)
    if config.feedback_db is not None and all(limit.count(source) for limit in REPLY_LIMITS):
        FeedbackStore(config.feedback_db).record(question, passage_ids, answered)  # best effort: never raises
    st.session_state[f"replied:{question_key(question)}"] = answered
    st.session_state[MOVED] = "feedback"


def render_feedback(config: PageConfig, response: SearchResponse) -> None:
    if config.feedback_db is None or not response.results:
        return
    replied = st.session_state.get(f"replied:{question_key(response.query)}")
    st.markdown(heading_html(FEEDBACK_HEADING, "nets-feedback-heading"), unsafe_allow_html=True, anchors=False)
    if replied is not None:
        st.markdown(note_html(THANKS), unsafe_allow_html=True)
        if replied is False:
            st.markdown(next_step_html(load_page_settings(str(config.corpus_dir))), unsafe_allow_html=True)
        return
    ids = tuple(r.passage.passage_id for r in response.results)
    with st.container(horizontal=True, gap="small"):
        st.button("Yes", key="reply-yes", on_click=_reply, args=(config, response.query, ids, True))
        st.button("No", key="reply-no", on_click=_reply, args=(config, response.query, ids, False))
    show_small(FEEDBACK_NOTICE)
