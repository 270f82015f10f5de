package lwm.kernels;

/**
 * How RoPE pairs the dimensions of a head. Hugging Face LLaMA checkpoints rotate (x[i], x[i + d/2]);
 * LWM's JAX code (and GPT-J) rotates interleaved pairs (x[2i], x[2i+1]). Both use
 * inv_freq[i] = theta^(-2i/d), i in [0, d/2).
 */
public enum RopeStyle { ROTATE_HALF, INTERLEAVED }
