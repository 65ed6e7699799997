"""Capture a LangChain pipeline under openinference-instrumentation-langchain, fully offline.

Output: tests/captures/openinference_langchain/. Fake models only (langchain_core's
GenericFakeChatModel, subclassed to accept bind_tools the way real chat models do), a custom
BaseRetriever returning two documents and a @tool function. Everything runs inside
OpenInference's ``using_session`` / ``using_user``.

Scenarios:
* agent_pipeline: a @chain "weather_agent": retriever -> prompt -> LLM (returns a tool call)
  -> tool -> LLM (final answer).
* lcel_chain: prompt | LLM | StrOutputParser, LLM = FakeListChatModel.
* chain_error: prompt | LLM | a RunnableLambda that raises ValueError.

Usage: python captures/gen_openinference_langchain.py
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from _harness import Capture, versions
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, chain
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from openinference.instrumentation import using_session, using_user
from openinference.instrumentation.langchain import LangChainInstrumentor

SOURCE = "openinference_langchain"
SESSION_ID = "sess-lc-1"
USER_ID = "user-lc-1"
QUESTION = "What is the weather in Paris?"

LLM_TOOL_CALL_USAGE = {"input_tokens": 42, "output_tokens": 11, "total_tokens": 53}
LLM_FINAL_USAGE = {
    "input_tokens": 71,
    "output_tokens": 13,
    "total_tokens": 84,
    "input_token_details": {"cache_read": 16},
    "output_token_details": {"reasoning": 3},
}
FINAL_ANSWER = "It is 18 degrees Celsius and sunny in Paris."
TOOL_CALL_ID = "call_lc_weather_1"
DOCS = [
    Document(
        id="doc-paris-1",
        page_content="Paris is the capital of France.",
        metadata={"source": "kb/paris.md"},
    ),
    Document(
        id="doc-paris-2",
        page_content="Paris has a temperate oceanic climate.",
        metadata={"source": "kb/climate.md"},
    ),
]


class FakeToolCallingChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that binds tools like a real provider (OpenAI tool schema)."""

    model: str = "fake-tool-model-1"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "fake"
        params["ls_model_name"] = self.model
        return params

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}


class KnowledgeBaseRetriever(BaseRetriever):
    """Returns the same two documents for any query."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return list(DOCS)


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"18 degrees Celsius and sunny in {city}"


PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a travel assistant. Context:\n{context}"),
        ("human", "{question}"),
    ]
)


def main() -> None:
    cap = Capture(
        SOURCE,
        libraries=versions(
            "openinference-instrumentation-langchain",
            "openinference-instrumentation",
            "openinference-semantic-conventions",
            "langchain-core",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ),
        service_name="capture-openinference-langchain",
        notes=[
            f"Each scenario runs inside using_session({SESSION_ID!r}) and using_user({USER_ID!r}).",
            "Fake LangChain models only; no OpenAI server involved (no fake_server_calls).",
            "FakeToolCallingChatModel = GenericFakeChatModel + bind_tools (OpenAI tool schema via "
            "convert_to_openai_tool) + _get_ls_params(ls_provider='fake', "
            "ls_model_name='fake-tool-model-1').",
        ],
        with_fake_openai=False,
    )
    # openinference-instrumentation 0.1.72 calls langchain-core 1.x's deprecated message.text();
    # harmless for the payload, silenced to keep `make captures` output readable.
    warnings.filterwarnings("ignore", message=r"Calling \.text\(\) as a method is deprecated")
    LangChainInstrumentor().instrument(tracer_provider=cap.tracer_provider)
    retriever = KnowledgeBaseRetriever()

    try:
        with (
            cap.scenario(
                "agent_pipeline",
                "A @chain 'weather_agent' (LangChain RunnableLambda) that runs: KnowledgeBaseRetriever "
                "(2 docs) -> ChatPromptTemplate -> FakeToolCallingChatModel (bound to tool get_weather; "
                f"returns AIMessage with tool call {TOOL_CALL_ID} get_weather(city=Paris), usage "
                f"{LLM_TOOL_CALL_USAGE}) -> get_weather tool (invoked with the ToolCall, returns a "
                f"ToolMessage) -> FakeToolCallingChatModel again (final answer {FINAL_ANSWER!r}, usage "
                f"{LLM_FINAL_USAGE}).",
                session_id=SESSION_ID,
                user_id=USER_ID,
                langchain_usage_metadata={"llm_call_1": LLM_TOOL_CALL_USAGE, "llm_call_2": LLM_FINAL_USAGE},
            ),
            using_session(SESSION_ID),
            using_user(USER_ID),
        ):
            llm = FakeToolCallingChatModel(
                messages=iter(
                    [
                        AIMessage(
                            content="",
                            id="lc-msg-tool-1",
                            tool_calls=[
                                {
                                    "name": "get_weather",
                                    "args": {"city": "Paris"},
                                    "id": TOOL_CALL_ID,
                                    "type": "tool_call",
                                }
                            ],
                            usage_metadata=LLM_TOOL_CALL_USAGE,
                            response_metadata={"finish_reason": "tool_calls"},
                        ),
                        AIMessage(
                            content=FINAL_ANSWER,
                            id="lc-msg-final-1",
                            usage_metadata=LLM_FINAL_USAGE,
                            response_metadata={"finish_reason": "stop"},
                        ),
                    ]
                )
            )
            llm_with_tools = llm.bind_tools([get_weather])

            @chain
            def weather_agent(question: str) -> str:
                docs = retriever.invoke(question)
                context = "\n".join(d.page_content for d in docs)
                messages: list[BaseMessage] = PROMPT.invoke({"context": context, "question": question}).to_messages()
                ai = llm_with_tools.invoke(messages)
                messages.append(ai)
                for call in ai.tool_calls:
                    messages.append(get_weather.invoke(call))
                final = llm_with_tools.invoke(messages)
                return str(final.content)

            answer = weather_agent.invoke(QUESTION)
            assert answer == FINAL_ANSWER, answer

        with (
            cap.scenario(
                "lcel_chain",
                "LCEL RunnableSequence: ChatPromptTemplate | FakeListChatModel(responses=['Bonjour!']) | "
                "StrOutputParser, invoked once.",
                session_id=SESSION_ID,
                user_id=USER_ID,
            ),
            using_session(SESSION_ID),
            using_user(USER_ID),
        ):
            seq = (
                ChatPromptTemplate.from_messages([("system", "Translate to French."), ("human", "{text}")])
                | FakeListChatModel(responses=["Bonjour!"])
                | StrOutputParser()
            )
            assert seq.invoke({"text": "Hello!"}) == "Bonjour!"

        def explode(_: str) -> str:
            raise ValueError("post-processing failed (capture scenario)")

        with (
            cap.scenario(
                "chain_error",
                "LCEL RunnableSequence: ChatPromptTemplate | FakeListChatModel(responses=['42']) | "
                "StrOutputParser | RunnableLambda(explode) which raises ValueError; the error propagates.",
                session_id=SESSION_ID,
                user_id=USER_ID,
                expect_error=ValueError,
            ),
            using_session(SESSION_ID),
            using_user(USER_ID),
        ):
            seq_err = (
                ChatPromptTemplate.from_messages([("human", "{q}")])
                | FakeListChatModel(responses=["42"])
                | StrOutputParser()
                | RunnableLambda(explode)
            )
            seq_err.invoke({"q": "What is six times seven?"})
    finally:
        cap.finish()


if __name__ == "__main__":
    main()
