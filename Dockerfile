# One image for the web, worker and beat services of docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contactmis contactmis
COPY pathways pathways
COPY measurements measurements
COPY reports reports
COPY stakeholders stakeholders
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "contactmis.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
