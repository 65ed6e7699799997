"""Capture LlamaIndex under openinference-instrumentation-llama-index, against the fake OpenAI server.

Output: tests/captures/openinference_llama_index/. Real `llama-index-llms-openai` and
`llama-index-embeddings-openai` clients pointed at the fake server, instrumented with
OpenInference's `LlamaIndexInstrumentor`. Every scenario runs inside `using_session` / `using_user`.
LlamaIndex nests model calls: `OpenAI.predict` wraps `OpenAI.chat`, and an embedding call is a
`get_query_embedding` span around `_get_query_embedding`. That nesting is why this capture exists
(spanhouse counts each call's tokens once: normalise/nesting.py).

Runs in its own venv (`.venv-captures-llamaindex`, from `requirements-llamaindex.txt`):
llama-index-llms-openai needs an `openai` older than the one the other captures pin.
The tokenizer is set to a whitespace split, because LlamaIndex's default (tiktoken) downloads its
encoding at first use, and captures are offline.

Scenarios:
* predict: `llm.predict(PromptTemplate)`, one chat call.
* query_embedding: `embed_model.get_query_embedding`, one embeddings call.
* query_engine: a VectorStoreIndex over two documents (embedded at build time), then
  `as_query_engine().query(...)`: a query embedding, retrieval, and the answer's chat call.

Usage: .venv-captures-llamaindex/bin/python captures/gen_openinference_llama_index.py
"""

from __future__ import annotations

from _harness import Capture, versions
from llama_index.core import Document, PromptTemplate, Settings, VectorStoreIndex
from llama_index.embeddings.openai import OpenAIEmbedding
from llama_index.llms.openai import OpenAI
from openinference.instrumentation import using_session, using_user
from openinference.instrumentation.llama_index import LlamaIndexInstrumentor

SOURCE = "openinference_llama_index"
SESSION_ID = "sess-li-1"
USER_ID = "user-li-1"
QUESTION = "What is the capital of France?"
DOCUMENTS = ["Paris is the capital of France.", "Paris has a temperate oceanic climate."]


def main() -> None:
    cap = Capture(
        SOURCE,
        libraries=versions(
            "openinference-instrumentation-llama-index",
            "openinference-instrumentation",
            "openinference-semantic-conventions",
            "llama-index-core",
            "llama-index-llms-openai",
            "llama-index-embeddings-openai",
            "openai",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        service_name="capture-openinference-llama-index",
        notes=[
            f"Each scenario runs inside using_session({SESSION_ID!r}) and using_user({USER_ID!r}).",
            "LlamaIndexInstrumentor().instrument(tracer_provider=...); default TraceConfig.",
            "Settings.tokenizer = str.split (tiktoken would download its encoding: captures are offline).",
        ],
    )
    LlamaIndexInstrumentor().instrument(tracer_provider=cap.tracer_provider)
    Settings.tokenizer = str.split
    llm = OpenAI(model="gpt-4o-mini", api_key="sk-spanhouse-fake", api_base=cap.openai_base_url, max_retries=0,
                 temperature=0.0)
    embed_model = OpenAIEmbedding(model="text-embedding-3-small", api_key="sk-spanhouse-fake",
                                  api_base=cap.openai_base_url, max_retries=0)
    Settings.llm, Settings.embed_model = llm, embed_model
    try:
        with using_session(SESSION_ID), using_user(USER_ID):
            with cap.scenario("predict", "llm.predict(PromptTemplate('Answer briefly: {question}')): "
                              "OpenAI.predict around OpenAI.chat, one chat completion.",
                              session_id=SESSION_ID, user_id=USER_ID):
                llm.predict(PromptTemplate("Answer briefly: {question}"), question=QUESTION)
            with cap.scenario("query_embedding", "embed_model.get_query_embedding(QUESTION): one embeddings call.",
                              session_id=SESSION_ID, user_id=USER_ID):
                embed_model.get_query_embedding(QUESTION)
            with cap.scenario("query_engine", "VectorStoreIndex over two documents (one embeddings call at build), "
                              "then as_query_engine(similarity_top_k=2).query(QUESTION): query embedding, "
                              "retrieval, synthesis with one chat completion.",
                              session_id=SESSION_ID, user_id=USER_ID):
                index = VectorStoreIndex.from_documents([Document(text=text) for text in DOCUMENTS])
                index.as_query_engine(similarity_top_k=2).query(QUESTION)
    finally:
        cap.finish()


if __name__ == "__main__":
    main()
