"""The NETs Search page: `streamlit run app.py` (editors: `streamlit run app.py -- --editor`).

All page logic lives in `nets_search.page`; settings come from NETS_SEARCH_* environment variables.
"""

import sys

from nets_search.page import main

main(sys.argv[1:])
