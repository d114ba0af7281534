"""Quickstart: call a model through Global API, stream it, and see what each call cost.

    python cookbook/quickstart/quickstart.py

Without GLOBAL_API_KEY the package's local test server stands in for the gateway (it answers
"[<model>] <your prompt>"); with the key set, the same code calls Global API.
"""

from __future__ import annotations

import os

from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
from langchain_globalapi.testing import FakeOpenAIServer


def main() -> None:
    """One call, one stream, and the bill for both."""
    llm = ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", temperature=0)

    with get_globalapi_callback() as cb:
        msg = llm.invoke("Classify the sentiment: 'the update broke my login'")
        print(msg.text)
        print(msg.response_metadata["cost"])  # exact decimal strings, and GPT-4o's price

        for chunk in llm.stream("Write one line about lighthouses"):
            print(chunk.text, end="|")
        print()

    print(cb)  # calls, tokens, $ spent, $ GPT-4o would have cost, % saved
    # The names of LangChain's get_openai_callback() work too:
    print(cb.successful_requests, cb.total_tokens, cb.prompt_tokens, cb.completion_tokens)
    print(llm.get_num_tokens("How many tokens is this?"))  # offline, any model name


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main()
