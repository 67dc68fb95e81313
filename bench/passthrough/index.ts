interface PassthroughEnv {
  BACKEND: string;
}

export default {
  fetch(request: Request, env: PassthroughEnv): Promise<Response> {
    const url = new URL(request.url);
    return fetch(env.BACKEND + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body });
  },
};
