"""The scaling page's engine arguments: vLLM's own, passed through untouched (nothing starts here)."""

from langchain_vllm import ChatVLLM

# --8<-- [start:tensor]
# one node, 4 GPUs: the weights split across them
llm = ChatVLLM(model="Qwen/Qwen3-32B", engine_args={"tensor_parallel_size": 4})
# --8<-- [end:tensor]

# --8<-- [start:pipeline]
# one node, 2 x 4 GPUs: 2 pipeline stages of 4-way tensor parallelism
llm = ChatVLLM(
    model="Qwen/Qwen3-235B-A22B",
    engine_args={"tensor_parallel_size": 4, "pipeline_parallel_size": 2},
)
# --8<-- [end:pipeline]

# --8<-- [start:data]
# one node, 4 GPUs: 4 replicas of a model that fits on one, requests spread over them
llm = ChatVLLM(model="Qwen/Qwen3-8B", engine_args={"data_parallel_size": 4})
# --8<-- [end:data]

# --8<-- [start:ray]
# several nodes joined in a Ray cluster (`ray start --head` here, `ray start --address=...` there)
llm = ChatVLLM(
    model="Qwen/Qwen3-235B-A22B",
    engine_args={
        "tensor_parallel_size": 8,  # GPUs per node
        "pipeline_parallel_size": 2,  # nodes
        "distributed_executor_backend": "ray",
    },
)
# --8<-- [end:ray]

# --8<-- [start:cpu]
# this CPU (2 cores): two pipeline stages, one CPU worker each; run with
# VLLM_CPU_OMP_THREADS_BIND="0|1" (vLLM refuses with "Not enough allowed NUMA nodes" otherwise)
llm = ChatVLLM(engine_args={"pipeline_parallel_size": 2, "max_model_len": 2048})
# --8<-- [end:cpu]

# --8<-- [start:memory]
# two different engines on one GPU: each takes a share of its memory (vLLM's default is 0.9)
chat = ChatVLLM(model="Qwen/Qwen3-8B", engine_args={"gpu_memory_utilization": 0.45})
coder = ChatVLLM(
    model="Qwen/Qwen3-Coder-30B-A3B-Instruct", engine_args={"gpu_memory_utilization": 0.45}
)
# --8<-- [end:memory]
print(sorted(llm.engine_args))
