# One image for the API, the workers and the migration job. glibc-based (the Temporal core bridge
# ships glibc binaries; Alpine is not supported).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The worker as one JavaScript file plus its workflow bundle (npm run start:worker runs them).
RUN npm run build
ENV NODE_ENV=production NODE_OPTIONS=--max-old-space-size=1024
CMD ["npm", "run", "api"]
