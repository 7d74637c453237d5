"""Small real programs in each indexed language: a class (or type) with a method
and a free function, with the names the AST chunker must find."""

# language -> (file name, source, symbols the AST chunker must produce)
SOURCES = {
    "python": ("shapes.py", '''import math


class Circle:
    """A circle."""

    def __init__(self, r):
        self.r = r

    def area(self):
        return math.pi * self.r ** 2


def total_area(shapes):
    return sum(s.area() for s in shapes)
''', {"Circle", "Circle.area", "total_area"}),
    "javascript": ("shapes.js", '''const PI = Math.PI;

class Circle {
  constructor(r) {
    this.r = r;
  }

  area() {
    return PI * this.r * this.r;
  }
}

function totalArea(shapes) {
  return shapes.reduce((a, s) => a + s.area(), 0);
}
''', {"Circle", "Circle.area", "totalArea"}),
    "typescript": ("shapes.ts", '''interface Shape {
  area(): number;
}

class Circle implements Shape {
  constructor(private r: number) {}

  area(): number {
    return Math.PI * this.r * this.r;
  }
}

function totalArea(shapes: Shape[]): number {
  return shapes.reduce((a, s) => a + s.area(), 0);
}
''', {"Circle", "Circle.area", "totalArea"}),
    "java": ("Circle.java", '''package shapes;

import java.util.List;

public class Circle {
    private final double r;

    public Circle(double r) {
        this.r = r;
    }

    public double area() {
        return Math.PI * r * r;
    }

    public static double totalArea(List<Circle> shapes) {
        double sum = 0;
        for (Circle c : shapes) sum += c.area();
        return sum;
    }
}
''', {"Circle", "Circle.area", "Circle.totalArea"}),
    "go": ("shapes.go", '''package shapes

import "math"

type Circle struct {
	R float64
}

func (c Circle) Area() float64 {
	return math.Pi * c.R * c.R
}

func TotalArea(shapes []Circle) float64 {
	sum := 0.0
	for _, s := range shapes {
		sum += s.Area()
	}
	return sum
}
''', {"Circle", "Area", "TotalArea"}),
    "rust": ("shapes.rs", '''use std::f64::consts::PI;

pub struct Circle {
    r: f64,
}

impl Circle {
    pub fn area(&self) -> f64 {
        PI * self.r * self.r
    }
}

pub fn total_area(shapes: &[Circle]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}
''', {"Circle", "total_area"}),
    "c": ("shapes.c", '''#include <math.h>

struct circle {
    double r;
};

double circle_area(const struct circle *c) {
    return M_PI * c->r * c->r;
}

double total_area(const struct circle *cs, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += circle_area(&cs[i]);
    return sum;
}
''', {"circle", "circle_area", "total_area"}),
    "cpp": ("shapes.cpp", '''#include <cmath>
#include <vector>

class Circle {
public:
    explicit Circle(double r) : r_(r) {}
    double area() const { return M_PI * r_ * r_; }
private:
    double r_;
};

double totalArea(const std::vector<Circle>& shapes) {
    double sum = 0;
    for (const auto& s : shapes) sum += s.area();
    return sum;
}
''', {"Circle", "totalArea"}),
    "csharp": ("Circle.cs", '''using System;

namespace Shapes
{
    public class Circle
    {
        private readonly double r;

        public Circle(double r) { this.r = r; }

        public double Area()
        {
            return Math.PI * r * r;
        }
    }
}
''', {"Shapes.Circle", "Shapes.Circle.Area"}),
    "ruby": ("shapes.rb", '''require "set"

class Circle
  def initialize(r)
    @r = r
  end

  def area
    Math::PI * @r * @r
  end
end

def total_area(shapes)
  shapes.sum(&:area)
end
''', {"Circle", "Circle.area", "total_area"}),
    "php": ("shapes.php", '''<?php

class Circle
{
    private $r;

    public function __construct($r)
    {
        $this->r = $r;
    }

    public function area()
    {
        return M_PI * $this->r * $this->r;
    }
}

function total_area($shapes)
{
    return array_sum(array_map(fn($s) => $s->area(), $shapes));
}
''', {"Circle", "Circle.area", "total_area"}),
    "kotlin": ("Shapes.kt", '''package shapes

import kotlin.math.PI

class Circle(val r: Double) {
    fun area(): Double {
        return PI * r * r
    }
}

fun totalArea(shapes: List<Circle>): Double {
    return shapes.sumOf { it.area() }
}
''', {"Circle", "Circle.area", "totalArea"}),
    "lua": ("shapes.lua", '''local Circle = {}
Circle.__index = Circle

function Circle.new(r)
  return setmetatable({ r = r }, Circle)
end

function Circle:area()
  return math.pi * self.r * self.r
end

local function total_area(shapes)
  local sum = 0
  for _, s in ipairs(shapes) do sum = sum + s:area() end
  return sum
end

return Circle
''', {"total_area"}),
    "bash": ("shapes.sh", '''#!/usr/bin/env bash
set -euo pipefail

circle_area() {
  echo "3.14159 * $1 * $1" | bc -l
}

total_area() {
  local sum=0
  for r in "$@"; do
    sum=$(echo "$sum + $(circle_area "$r")" | bc -l)
  done
  echo "$sum"
}
''', {"circle_area", "total_area"}),
}
