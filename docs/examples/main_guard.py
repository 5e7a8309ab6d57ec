"""The troubleshooting page: a script that uses the real engine keeps it under the main guard."""

# --8<-- [start:guard]
from langchain_vllm import ChatVLLM


def main() -> None:
    llm = ChatVLLM(model="Qwen/Qwen3-8B", temperature=0)
    print(llm.invoke("Hello!").content)


if __name__ == "__main__":  # vLLM's engine process re-imports this file: nothing may run on import
    main()
# --8<-- [end:guard]
